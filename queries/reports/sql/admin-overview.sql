-- The platform's overview (A4): per figure, how many happened in the period
-- (`in_period`) and in all up to its end (`total`).
WITH happened AS (
    SELECT 'users-registered' AS metric, 1 AS n, timestamp
    FROM ev_user WHERE event_type = 'User.Registered'
    UNION ALL
    SELECT 'users-erased', 2, timestamp
    FROM ev_user WHERE event_type = 'User.Erased'
    UNION ALL
    SELECT 'npos-registered', 3, timestamp
    FROM ev_npo WHERE event_type = 'Npo.Registered'
    UNION ALL
    SELECT 'npos-verified', 4, timestamp
    FROM ev_npo WHERE event_type = 'Npo.Verified'
    UNION ALL
    SELECT 'npos-flagged', 5, timestamp
    FROM ev_npo WHERE event_type = 'Npo.Flagged'
    UNION ALL
    SELECT 'npos-approved', 6, timestamp
    FROM ev_npo WHERE event_type = 'Npo.Approved'
    UNION ALL
    SELECT 'npos-deleted', 7, timestamp
    FROM ev_npo WHERE event_type = 'Npo.Deleted'
    UNION ALL
    SELECT 'npo-leader-matches', 8, timestamp
    FROM ev_npo WHERE event_type = 'Npo.LeaderAssigned'
    UNION ALL
    SELECT 'communities-founded', 9, timestamp
    FROM ev_community WHERE event_type = 'Community.Founded'
    UNION ALL
    SELECT 'offerings-created', 10, timestamp
    FROM ev_offering WHERE event_type = 'Offering.Created'
    UNION ALL
    SELECT 'offerings-taken-down', 11, timestamp
    FROM ev_offering WHERE event_type = 'Offering.TakenDown'
    UNION ALL
    SELECT 'candidates-assessed', 12, timestamp
    FROM ev_candidate
    WHERE event_type = 'Candidate.AssessmentCompleted'
    QUALIFY row_number() OVER (PARTITION BY aggregate_id ORDER BY version) = 1
    UNION ALL
    SELECT 'candidate-mentor-matches', 13, timestamp
    FROM ev_candidate WHERE event_type = 'Candidate.MentorAssigned'
    UNION ALL
    SELECT 'roadmap-items-approved', 14, timestamp
    FROM ev_roadmap
    WHERE event_type IN ('Roadmap.ItemApproved', 'Roadmap.SuggestionAccepted')
    UNION ALL
    SELECT 'roadmap-items-completed', 15, timestamp
    FROM ev_roadmap WHERE event_type = 'Roadmap.ItemCompleted'
    UNION ALL
    SELECT 'roadmaps-completed', 16, timestamp
    FROM ev_roadmap WHERE event_type = 'Roadmap.Completed'
    UNION ALL
    SELECT 'feedback-given', 17, timestamp
    FROM ev_roadmap WHERE event_type = 'Roadmap.FeedbackGiven'
),
metrics AS (
    SELECT * FROM (VALUES
        ('users-registered', 1), ('users-erased', 2), ('npos-registered', 3),
        ('npos-verified', 4), ('npos-flagged', 5), ('npos-approved', 6),
        ('npos-deleted', 7), ('npo-leader-matches', 8), ('communities-founded', 9),
        ('offerings-created', 10), ('offerings-taken-down', 11),
        ('candidates-assessed', 12), ('candidate-mentor-matches', 13),
        ('roadmap-items-approved', 14), ('roadmap-items-completed', 15),
        ('roadmaps-completed', 16), ('feedback-given', 17)
    ) AS m(metric, n)
)
SELECT m.metric,
       count(h.timestamp) FILTER (WHERE h.timestamp >= $period_start
                                    AND h.timestamp < $period_end) AS in_period,
       count(h.timestamp) FILTER (WHERE h.timestamp < $period_end) AS total
FROM metrics m LEFT JOIN happened h USING (metric)
GROUP BY m.metric, m.n
ORDER BY m.n
