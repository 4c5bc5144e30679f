-- Offerings per region and category (#9). An offering counts in `offerings` when it
-- was created before the end of the period and neither taken down nor deleted by
-- then; in `created` when it was created in the period. Its region is its own,
-- else its NPO's (each as last set before the end of the period); an offering in
-- several categories counts in each, one in none under '(none)'.
WITH offerings AS (
    SELECT aggregate_id AS offering_id, npo_id, timestamp AS created_at
    FROM ev_offering
    WHERE event_type = 'Offering.Created' AND timestamp < $period_end
),
content AS (
    SELECT aggregate_id AS offering_id, region, categories
    FROM ev_offering
    WHERE event_type IN ('Offering.Created', 'Offering.Updated')
      AND timestamp < $period_end
    QUALIFY row_number() OVER (PARTITION BY aggregate_id ORDER BY version DESC) = 1
),
gone AS (
    SELECT DISTINCT aggregate_id AS offering_id
    FROM ev_offering
    WHERE event_type IN ('Offering.TakenDown', 'Offering.Deleted')
      AND timestamp < $period_end
),
npo_region AS (
    SELECT aggregate_id AS npo_id, region
    FROM ev_npo
    WHERE event_type IN ('Npo.Registered', 'Npo.ProfileUpdated')
      AND timestamp < $period_end
    QUALIFY row_number() OVER (PARTITION BY aggregate_id ORDER BY version DESC) = 1
),
placed AS (
    SELECT aggregate_id AS npo_id, community_ids
    FROM ev_npo
    WHERE event_type = 'Npo.Placed' AND timestamp < $period_end
    QUALIFY row_number() OVER (PARTITION BY aggregate_id ORDER BY version DESC) = 1
),
seen AS (
    SELECT o.offering_id,
           o.created_at,
           coalesce(c.region, r.region, '(unknown)') AS region,
           CASE WHEN len(coalesce(c.categories, [])) = 0 THEN ['(none)']
                ELSE c.categories END AS categories,
           g.offering_id IS NULL AS alive
    FROM offerings o
    LEFT JOIN content c USING (offering_id)
    LEFT JOIN gone g USING (offering_id)
    LEFT JOIN npo_region r ON r.npo_id = o.npo_id
    LEFT JOIN placed p ON p.npo_id = o.npo_id
    WHERE $everything
       OR list_contains($npos, o.npo_id)
       OR list_has_any($communities, coalesce(p.community_ids, []))
),
by_category AS (
    SELECT offering_id, created_at, region, alive, unnest(categories) AS category
    FROM seen
)
SELECT region,
       category,
       count(*) FILTER (WHERE alive) AS offerings,
       count(*) FILTER (WHERE created_at >= $period_start) AS created
FROM by_category
GROUP BY ALL
ORDER BY region, category
