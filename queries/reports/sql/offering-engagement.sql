-- Engagement per offering (NP6, #5): candidates enrolled in the period (an item of
-- the offering approved on their roadmap: Roadmap.ItemApproved or
-- Roadmap.SuggestionAccepted) and, by `as_of`, where that item is: `completed`,
-- `withdrawn`, else `active`. `feedback`: the enrolled who rated their roadmap
-- after enrolling (Roadmap.FeedbackGiven); `mean_rating`: the mean of their
-- latest ratings, shown from $min_ratings ratings on (no single rating exposed).
WITH roadmaps AS (
    SELECT aggregate_id AS roadmap_id, candidate_id
    FROM ev_roadmap
    WHERE event_type = 'Roadmap.Started'
),
items AS (
    SELECT aggregate_id AS roadmap_id, item_id, offering_id, npo_id
    FROM ev_roadmap
    WHERE event_type IN ('Roadmap.ItemRequested', 'Roadmap.ItemSuggested')
      AND offering_id IS NOT NULL
),
placed AS (
    SELECT aggregate_id AS npo_id, community_ids
    FROM ev_npo
    WHERE event_type = 'Npo.Placed'
    QUALIFY row_number() OVER (PARTITION BY aggregate_id ORDER BY version DESC) = 1
),
enrolled AS (
    SELECT i.roadmap_id, i.item_id, i.offering_id, i.npo_id, r.candidate_id,
           min(e.timestamp) AS happened_at
    FROM ev_roadmap e
    JOIN items i ON i.roadmap_id = e.aggregate_id AND i.item_id = e.item_id
    LEFT JOIN roadmaps r ON r.roadmap_id = i.roadmap_id
    LEFT JOIN placed p ON p.npo_id = i.npo_id
    WHERE e.event_type IN ('Roadmap.ItemApproved', 'Roadmap.SuggestionAccepted')
      AND ($everything
           OR list_contains($npos, i.npo_id)
           OR list_has_any($communities, coalesce(p.community_ids, []))
           OR list_contains($candidates, r.candidate_id))
    GROUP BY ALL
    HAVING min(e.timestamp) >= $period_start AND min(e.timestamp) < $period_end
),
outcome AS (
    SELECT aggregate_id AS roadmap_id, item_id,
           bool_or(event_type = 'Roadmap.ItemCompleted') AS completed,
           bool_or(event_type = 'Roadmap.ItemWithdrawn') AS withdrawn
    FROM ev_roadmap
    WHERE event_type IN ('Roadmap.ItemCompleted', 'Roadmap.ItemWithdrawn')
    GROUP BY ALL
),
feedback AS (
    SELECT aggregate_id AS roadmap_id, timestamp, rating
    FROM ev_roadmap
    WHERE event_type = 'Roadmap.FeedbackGiven'
),
per_enrolment AS (
    SELECT en.offering_id, en.npo_id,
           coalesce(o.completed, false) AS completed,
           coalesce(o.withdrawn, false) AND NOT coalesce(o.completed, false)
               AS withdrawn,
           (SELECT f.rating FROM feedback f
            WHERE f.roadmap_id = en.roadmap_id AND f.timestamp >= en.happened_at
            ORDER BY f.timestamp DESC LIMIT 1) AS rating
    FROM enrolled en
    LEFT JOIN outcome o USING (roadmap_id, item_id)
)
SELECT offering_id,
       npo_id,
       count(*) AS enrolled,
       count(*) FILTER (WHERE NOT completed AND NOT withdrawn) AS active,
       count(*) FILTER (WHERE completed) AS completed,
       count(*) FILTER (WHERE withdrawn) AS withdrawn,
       count(rating) AS feedback,
       CASE WHEN count(rating) >= $min_ratings THEN round(avg(rating), 2) END
           AS mean_rating
FROM per_enrolment
GROUP BY ALL
ORDER BY npo_id, offering_id
