-- Communities (CL6): per community founded by the end of the period, as it stood
-- then: its `leaders` (on its roster), its NPOs not deleted (`npos`: placed in it),
-- of them `waiting_for_leader` here, `verified`, `flagged`, `approved`, and their
-- `active_offerings`; and what happened in the period: `npos_registered` (of its
-- NPOs), `leader_assignments` (an NPO given a leader from it), `enrolments` (an item
-- of one of its NPOs' offerings approved on a candidate's roadmap).
WITH communities AS (
    SELECT aggregate_id AS community_id
    FROM ev_community
    WHERE event_type = 'Community.Founded' AND timestamp < $period_end
      AND ($everything OR list_contains($communities, aggregate_id))
),
roster AS (
    -- A roster's first event names its community.
    SELECT aggregate_id AS roster_id, community_id
    FROM ev_leader_roster
    WHERE event_type = 'LeaderRoster.Opened'
),
leaders AS (
    SELECT r.community_id, e.leader_id,
           arg_max(e.event_type, e.version) AS last_event
    FROM ev_leader_roster e JOIN roster r ON r.roster_id = e.aggregate_id
    WHERE e.event_type IN ('LeaderRoster.LeaderJoined', 'LeaderRoster.LeaderLeft')
      AND e.timestamp < $period_end
    GROUP BY ALL
),
npo_now AS (
    SELECT aggregate_id AS npo_id,
           min(timestamp) FILTER (WHERE event_type = 'Npo.Registered')
               AS registered_at,
           arg_max(community_ids, version)
               FILTER (WHERE event_type = 'Npo.Placed') AS community_ids,
           bool_or(event_type = 'Npo.Deleted') AS deleted,
           bool_or(event_type = 'Npo.Approved') AS approved,
           arg_max(event_type, version)
               FILTER (WHERE event_type IN ('Npo.Verified', 'Npo.Flagged'))
               AS verification,
           arg_max(event_type, version)
               FILTER (WHERE event_type IN (
                   'Npo.WaitingForLeader', 'Npo.LeaderAssigned', 'Npo.Deleted'
               )) AS queue_event,
           arg_max(community_id, version)
               FILTER (WHERE event_type = 'Npo.WaitingForLeader') AS waiting_in
    FROM ev_npo
    WHERE timestamp < $period_end
    GROUP BY 1
),
membership AS (
    SELECT n.*, unnest(n.community_ids) AS community_id
    FROM npo_now n
    WHERE n.community_ids IS NOT NULL AND NOT n.deleted
),
offerings AS (
    SELECT arg_max(npo_id, version) FILTER (WHERE event_type = 'Offering.Created')
               AS npo_id,
           bool_or(event_type IN ('Offering.TakenDown', 'Offering.Deleted')) AS gone
    FROM ev_offering
    WHERE timestamp < $period_end
    GROUP BY aggregate_id
),
items AS (
    SELECT aggregate_id AS roadmap_id, item_id, npo_id
    FROM ev_roadmap
    WHERE event_type IN ('Roadmap.ItemRequested', 'Roadmap.ItemSuggested')
      AND npo_id IS NOT NULL
),
enrolments AS (
    SELECT i.npo_id, min(e.timestamp) AS happened_at
    FROM ev_roadmap e
    JOIN items i ON i.roadmap_id = e.aggregate_id AND i.item_id = e.item_id
    WHERE e.event_type IN ('Roadmap.ItemApproved', 'Roadmap.SuggestionAccepted')
    GROUP BY i.roadmap_id, i.item_id, i.npo_id
)
SELECT c.community_id,
       (SELECT count(*) FROM leaders l
        WHERE l.community_id = c.community_id
          AND l.last_event = 'LeaderRoster.LeaderJoined') AS leaders,
       (SELECT count(*) FROM membership m
        WHERE m.community_id = c.community_id) AS npos,
       (SELECT count(*) FROM npo_now n
        WHERE n.waiting_in = c.community_id
          AND n.queue_event = 'Npo.WaitingForLeader') AS waiting_for_leader,
       (SELECT count(*) FROM membership m
        WHERE m.community_id = c.community_id
          AND m.verification = 'Npo.Verified') AS verified,
       (SELECT count(*) FROM membership m
        WHERE m.community_id = c.community_id
          AND m.verification = 'Npo.Flagged') AS flagged,
       (SELECT count(*) FROM membership m
        WHERE m.community_id = c.community_id AND m.approved) AS approved,
       (SELECT count(*) FROM offerings o JOIN membership m ON m.npo_id = o.npo_id
        WHERE m.community_id = c.community_id AND NOT o.gone) AS active_offerings,
       (SELECT count(*) FROM membership m
        WHERE m.community_id = c.community_id
          AND m.registered_at >= $period_start) AS npos_registered,
       (SELECT count(*) FROM ev_npo e
        WHERE e.event_type = 'Npo.LeaderAssigned'
          AND e.community_id = c.community_id
          AND e.timestamp >= $period_start AND e.timestamp < $period_end)
           AS leader_assignments,
       (SELECT count(*) FROM enrolments en JOIN membership m ON m.npo_id = en.npo_id
        WHERE m.community_id = c.community_id
          AND en.happened_at >= $period_start AND en.happened_at < $period_end) AS enrolments
FROM communities c
ORDER BY c.community_id
