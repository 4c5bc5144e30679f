-- Matches per week (#9): an NPO assigned a community leader (Npo.LeaderAssigned),
-- a candidate assigned a mentor (Candidate.MentorAssigned), made in the period.
-- `period` is the Monday of the week (UTC). Weeks without a match have no row.
WITH made AS (
    SELECT timestamp, 'npo-leader' AS kind
    FROM ev_npo
    WHERE event_type = 'Npo.LeaderAssigned'
      AND ($everything
           OR list_contains($npos, aggregate_id)
           OR list_contains($communities, community_id))
    UNION ALL
    SELECT timestamp, 'candidate-mentor' AS kind
    FROM ev_candidate
    WHERE event_type = 'Candidate.MentorAssigned'
      AND ($everything
           OR list_contains($candidates, coalesce(candidate_id, aggregate_id)))
)
SELECT CAST(date_trunc('week', timestamp) AS DATE) AS period,
       kind,
       count(*) AS matches
FROM made
WHERE timestamp >= $period_start AND timestamp < $period_end
GROUP BY ALL
ORDER BY period, kind
