-- The candidate funnel (#4, #5): candidates who signed up in the period (took the
-- CANDIDATE role, or began a career record), and how many of them reached each
-- later step by `as_of`, each only after the one before: assessed (a first needs
-- assessment), mentored (a first mentor), first-item-approved (a first item on
-- their roadmap), roadmap-completed. `conversion`: the share of the step before;
-- `median_hours_from_previous`: the median time from the step before.
WITH signed_up AS (
    SELECT candidate, min(timestamp) AS happened_at
    FROM (
        SELECT aggregate_id AS candidate, timestamp
        FROM ev_user
        WHERE event_type = 'User.Registered'
          AND list_contains(coalesce(roles, []), 'CANDIDATE')
        UNION ALL
        SELECT aggregate_id, timestamp
        FROM ev_user
        WHERE event_type = 'User.RoleGranted' AND role = 'CANDIDATE'
        UNION ALL
        SELECT coalesce(user_id, aggregate_id), timestamp
        FROM ev_candidate
        WHERE event_type = 'Candidate.Registered'
    )
    GROUP BY candidate
),
cohort AS (
    SELECT candidate, happened_at
    FROM signed_up
    WHERE happened_at >= $period_start AND happened_at < $period_end
      AND ($everything OR list_contains($candidates, candidate))
),
assessed AS (
    SELECT aggregate_id AS candidate, min(timestamp) AS happened_at
    FROM ev_candidate
    WHERE event_type = 'Candidate.AssessmentCompleted'
    GROUP BY 1
),
mentored AS (
    SELECT coalesce(candidate_id, aggregate_id) AS candidate, min(timestamp) AS happened_at
    FROM ev_candidate
    WHERE event_type = 'Candidate.MentorAssigned'
    GROUP BY 1
),
roadmaps AS (
    SELECT aggregate_id AS roadmap_id, candidate_id AS candidate
    FROM ev_roadmap
    WHERE event_type = 'Roadmap.Started'
),
first_item AS (
    SELECT r.candidate, min(e.timestamp) AS happened_at
    FROM ev_roadmap e JOIN roadmaps r ON r.roadmap_id = e.aggregate_id
    WHERE e.event_type IN ('Roadmap.ItemApproved', 'Roadmap.SuggestionAccepted')
    GROUP BY 1
),
completed AS (
    SELECT r.candidate, min(e.timestamp) AS happened_at
    FROM ev_roadmap e JOIN roadmaps r ON r.roadmap_id = e.aggregate_id
    WHERE e.event_type = 'Roadmap.Completed'
    GROUP BY 1
),
journeys AS (
    SELECT c.happened_at AS t1, a.happened_at AS t2_, m.happened_at AS t3_, f.happened_at AS t4_, d.happened_at AS t5_
    FROM cohort c
    LEFT JOIN assessed a USING (candidate)
    LEFT JOIN mentored m USING (candidate)
    LEFT JOIN first_item f USING (candidate)
    LEFT JOIN completed d USING (candidate)
),
chained AS (
    -- A step counts only once the step before it was reached.
    SELECT t1, t2, t3, t4, CASE WHEN t4 IS NOT NULL THEN t5_ END AS t5
    FROM (
        SELECT t1, t2, t3, CASE WHEN t3 IS NOT NULL THEN t4_ END AS t4, t5_
        FROM (
            SELECT t1, t2, CASE WHEN t2 IS NOT NULL THEN t3_ END AS t3, t4_, t5_
            FROM (SELECT t1, t2_ AS t2, t3_, t4_, t5_ FROM journeys)
        )
    )
),
steps AS (
    SELECT 1 AS n, 'signed-up' AS step, count(*) AS candidates,
           CAST(NULL AS DOUBLE) AS median_hours
    FROM chained
    UNION ALL
    SELECT 2, 'assessed', count(t2),
           median(date_diff('microsecond', t1, t2) / 3.6e9)
    FROM chained
    UNION ALL
    SELECT 3, 'mentored', count(t3),
           median(date_diff('microsecond', t2, t3) / 3.6e9)
    FROM chained
    UNION ALL
    SELECT 4, 'first-item-approved', count(t4),
           median(date_diff('microsecond', t3, t4) / 3.6e9)
    FROM chained
    UNION ALL
    SELECT 5, 'roadmap-completed', count(t5),
           median(date_diff('microsecond', t4, t5) / 3.6e9)
    FROM chained
)
SELECT step,
       candidates,
       CASE WHEN n = 1 THEN CASE WHEN candidates > 0 THEN 1.0 END
            WHEN lag(candidates) OVER (ORDER BY n) > 0
            THEN round(candidates / lag(candidates) OVER (ORDER BY n), 4)
       END AS conversion,
       round(median_hours, 2) AS median_hours_from_previous
FROM steps
ORDER BY n
