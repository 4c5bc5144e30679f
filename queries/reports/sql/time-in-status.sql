-- Time in each waiting status (#9): each stay that began in the period, from the
-- event that began it to the first event after it that ended it (by `as_of`):
--   npo  registration-pending   Npo.Registered -> Npo.RegistrationCompleted
--   npo  verification-pending   Npo.Registered -> Npo.Verified | Npo.Flagged
--   npo  approval-pending       Npo.Verified   -> Npo.Approved | Npo.Flagged
--   npo  waiting-for-leader     Npo.WaitingForLeader -> Npo.LeaderAssigned
--   candidate waiting-for-mentor  Candidate.WaitingForMentor -> Candidate.MentorAssigned
--                                 | Candidate.StoppedWaitingForMentor
--   candidate item-pending-approval  Roadmap.ItemRequested -> Roadmap.ItemApproved
--                                 | Roadmap.ItemDeclined | Roadmap.ItemWithdrawn
-- An NPO's deletion or a candidate's erasure ends every stay of theirs.
-- `left`: stays that ended; `median_hours`: theirs; `still_in`: those that had not
-- ended by `as_of`; `longest_open_hours`: the longest of those, up to `as_of`.
WITH placed AS (
    SELECT aggregate_id AS npo_id, community_ids
    FROM ev_npo
    WHERE event_type = 'Npo.Placed'
    QUALIFY row_number() OVER (PARTITION BY aggregate_id ORDER BY version DESC) = 1
),
npo_events AS (
    SELECT e.aggregate_id AS subject_id, e.event_type, e.timestamp, e.community_id,
           $everything
           OR list_contains($npos, e.aggregate_id)
           OR list_has_any($communities, coalesce(p.community_ids, []))
           OR list_contains($communities, e.community_id) AS visible
    FROM ev_npo e LEFT JOIN placed p ON p.npo_id = e.aggregate_id
),
roadmaps AS (
    SELECT aggregate_id AS roadmap_id, candidate_id
    FROM ev_roadmap
    WHERE event_type = 'Roadmap.Started'
),
starts AS (
    SELECT 'npo' AS subject, 'registration-pending' AS status, subject_id, timestamp
    FROM npo_events WHERE event_type = 'Npo.Registered' AND visible
    UNION ALL
    SELECT 'npo', 'verification-pending', subject_id, timestamp
    FROM npo_events WHERE event_type = 'Npo.Registered' AND visible
    UNION ALL
    SELECT 'npo', 'approval-pending', subject_id, timestamp
    FROM npo_events WHERE event_type = 'Npo.Verified' AND visible
    UNION ALL
    SELECT 'npo', 'waiting-for-leader', subject_id, timestamp
    FROM npo_events WHERE event_type = 'Npo.WaitingForLeader' AND visible
    UNION ALL
    SELECT 'candidate', 'waiting-for-mentor', aggregate_id, timestamp
    FROM ev_candidate
    WHERE event_type = 'Candidate.WaitingForMentor'
      AND ($everything OR list_contains($candidates, aggregate_id))
    UNION ALL
    SELECT 'candidate', 'item-pending-approval', aggregate_id || '/' || item_id,
           timestamp
    FROM ev_roadmap
    WHERE event_type = 'Roadmap.ItemRequested'
      AND ($everything OR list_contains($candidates, candidate_id))
),
ends AS (
    SELECT 'registration-pending' AS status, subject_id, timestamp
    FROM npo_events
    WHERE event_type IN ('Npo.RegistrationCompleted', 'Npo.Deleted')
    UNION ALL
    SELECT 'verification-pending', subject_id, timestamp
    FROM npo_events
    WHERE event_type IN ('Npo.Verified', 'Npo.Flagged', 'Npo.Deleted')
    UNION ALL
    SELECT 'approval-pending', subject_id, timestamp
    FROM npo_events
    WHERE event_type IN ('Npo.Approved', 'Npo.Flagged', 'Npo.Deleted')
    UNION ALL
    SELECT 'waiting-for-leader', subject_id, timestamp
    FROM npo_events
    WHERE event_type IN ('Npo.LeaderAssigned', 'Npo.Deleted')
    UNION ALL
    SELECT 'waiting-for-mentor', aggregate_id, timestamp
    FROM ev_candidate
    WHERE event_type IN (
        'Candidate.MentorAssigned', 'Candidate.StoppedWaitingForMentor',
        'Candidate.Erased'
    )
    UNION ALL
    SELECT 'item-pending-approval', aggregate_id || '/' || item_id, timestamp
    FROM ev_roadmap
    WHERE event_type IN (
        'Roadmap.ItemApproved', 'Roadmap.ItemDeclined', 'Roadmap.ItemWithdrawn'
    )
    UNION ALL
    SELECT 'item-pending-approval', s.aggregate_id || '/' || s.item_id, e.timestamp
    FROM ev_roadmap e
    JOIN ev_roadmap s ON s.aggregate_id = e.aggregate_id
        AND s.event_type = 'Roadmap.ItemRequested'
    WHERE e.event_type = 'Roadmap.Erased'
),
stays AS (
    SELECT s.subject, s.status, s.timestamp AS began,
           (SELECT min(e.timestamp) FROM ends e
            WHERE e.status = s.status AND e.subject_id = s.subject_id
              AND e.timestamp >= s.timestamp) AS ended
    FROM starts s
    WHERE s.timestamp >= $period_start AND s.timestamp < $period_end
)
SELECT subject,
       status,
       count(*) AS entered,
       count(ended) AS "left",
       count(*) - count(ended) AS still_in,
       round(median(date_diff('microsecond', began, ended) / 3.6e9), 2)
           AS median_hours,
       round(max(date_diff('microsecond', began, $as_of) / 3.6e9)
           FILTER (WHERE ended IS NULL), 2) AS longest_open_hours
FROM stays
GROUP BY ALL
ORDER BY subject, status
