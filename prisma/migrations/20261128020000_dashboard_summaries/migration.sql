-- The dashboard's figures from summaries kept up to date as items change (issue 18), so a
-- request sums a few hundred summary rows instead of scanning the items.
--
-- Every writer of `items` passes through the statement triggers below (the recording activity,
-- attention flags, migrations, bulk loads): each statement's changed rows are netted into
-- deltas and added to the summaries in the same transaction. Summary rows are kept per unit
-- that sees an item (its lead unit and each co-unit, `unit_id`) and per lead unit, so every
-- visibility scope is a filter on them: everything = the lead rows (unit_id = lead_unit_id);
-- a jurisdiction = the lead rows of its units; a unit's staff = its unit's rows.
-- Rows are upserted in key order, one table after the other, so concurrent transitions lock
-- them in the same order and cannot deadlock each other.

-- By status, light, closed late (closed items handed in after their deadline) and attention.
CREATE TABLE "dashboard_counts" (
    "unit_id" TEXT NOT NULL,
    "lead_unit_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "light" TEXT NOT NULL,
    "closed_late" BOOLEAN NOT NULL,
    "attention" BOOLEAN NOT NULL,
    "n" INTEGER NOT NULL,
    CONSTRAINT "dashboard_counts_pkey" PRIMARY KEY ("unit_id", "lead_unit_id", "status", "light", "closed_late", "attention")
);

-- Open items by their closure deadline in force (and due date): overdue is "deadline before
-- today", so the count follows the date without any write; rows are per unit and day (only days
-- with open items), not per item.
CREATE TABLE "dashboard_deadlines" (
    "unit_id" TEXT NOT NULL,
    "lead_unit_id" TEXT NOT NULL,
    "deadline" TEXT NOT NULL,
    "due_date" TEXT NOT NULL,
    "n" INTEGER NOT NULL,
    CONSTRAINT "dashboard_deadlines_pkey" PRIMARY KEY ("unit_id", "lead_unit_id", "deadline", "due_date")
);
CREATE INDEX "dashboard_deadlines_deadline_idx" ON "dashboard_deadlines" ("deadline");

-- Items opened and closed per week (Monday, Asia/Shanghai).
CREATE TABLE "dashboard_weeks" (
    "unit_id" TEXT NOT NULL,
    "lead_unit_id" TEXT NOT NULL,
    "week" DATE NOT NULL,
    "opened" INTEGER NOT NULL,
    "closed" INTEGER NOT NULL,
    CONSTRAINT "dashboard_weeks_pkey" PRIMARY KEY ("unit_id", "lead_unit_id", "week")
);
CREATE INDEX "dashboard_weeks_week_idx" ON "dashboard_weeks" ("week");

-- 被催办次数: 催办 (item_events with action 'urge') received per unit.
CREATE TABLE "unit_urges" (
    "unit_id" TEXT NOT NULL,
    "n" INTEGER NOT NULL,
    CONSTRAINT "unit_urges_pkey" PRIMARY KEY ("unit_id")
);

-- What one item row adds to the summaries (d = +1) or takes from them (d = -1).
CREATE TYPE dashboard_delta AS (
    d INTEGER, lead_unit_id TEXT, co_unit_ids TEXT[], status TEXT, light TEXT, closed_late BOOLEAN, attention BOOLEAN,
    deadline TEXT, due_date TEXT, opened_week DATE, closed_week DATE
);

CREATE FUNCTION dashboard_delta_of(i items, d INTEGER) RETURNS dashboard_delta LANGUAGE sql STABLE AS $$
  SELECT ROW(d, i.lead_unit_id, coalesce(i.co_unit_ids, '{}'), i.status, i.light,
             coalesce(i.closed_late_working_days > 0, false), i.attention IS NOT NULL,
             CASE WHEN i.status NOT IN ('closed', 'withdrawn') THEN coalesce(i.deadline_date, i.due_date) END,
             i.due_date,
             date_trunc('week', i.created_at AT TIME ZONE 'Asia/Shanghai')::date,
             CASE WHEN i.status = 'closed' AND i.closed_at IS NOT NULL
                  THEN date_trunc('week', i.closed_at AT TIME ZONE 'Asia/Shanghai')::date END)::dashboard_delta
$$;

CREATE FUNCTION dashboard_apply(deltas dashboard_delta[]) RETURNS void LANGUAGE sql AS $$
  -- Each delta once per unit that sees the item (the lead unit, each co-unit, none twice).
  WITH seen AS (
    SELECT v.unit_id, x.* FROM unnest(deltas) x
    CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(array_prepend(x.lead_unit_id, x.co_unit_ids)) u) v(unit_id))
  INSERT INTO dashboard_counts AS t (unit_id, lead_unit_id, status, light, closed_late, attention, n)
  SELECT unit_id, lead_unit_id, status, light, closed_late, attention, sum(d) FROM seen
  GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (unit_id, lead_unit_id, status, light, closed_late, attention) DO UPDATE SET n = t.n + EXCLUDED.n;

  WITH seen AS (
    SELECT v.unit_id, x.* FROM unnest(deltas) x
    CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(array_prepend(x.lead_unit_id, x.co_unit_ids)) u) v(unit_id)
    WHERE x.deadline IS NOT NULL)
  INSERT INTO dashboard_deadlines AS t (unit_id, lead_unit_id, deadline, due_date, n)
  SELECT unit_id, lead_unit_id, deadline, due_date, sum(d) FROM seen
  GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
  ON CONFLICT (unit_id, lead_unit_id, deadline, due_date) DO UPDATE SET n = t.n + EXCLUDED.n;

  -- A day whose items all closed or moved leaves no row behind: the overdue sum reads the days
  -- that still have open items, not every day there ever was. Only rows this statement took
  -- from, already locked by the upsert above. (A concurrent upsert of the same row waits, then
  -- inserts it anew.)
  DELETE FROM dashboard_deadlines t
  USING (SELECT v.unit_id, x.lead_unit_id, x.deadline, x.due_date FROM unnest(deltas) x
         CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(array_prepend(x.lead_unit_id, x.co_unit_ids)) u) v(unit_id)
         WHERE x.deadline IS NOT NULL GROUP BY 1, 2, 3, 4 HAVING sum(x.d) < 0) k
  WHERE t.n = 0 AND t.unit_id = k.unit_id AND t.lead_unit_id = k.lead_unit_id AND t.deadline = k.deadline AND t.due_date = k.due_date;

  WITH seen AS (
    SELECT v.unit_id, x.* FROM unnest(deltas) x
    CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(array_prepend(x.lead_unit_id, x.co_unit_ids)) u) v(unit_id)),
  weeks AS (
    SELECT unit_id, lead_unit_id, opened_week AS week, d AS opened, 0 AS closed FROM seen
    UNION ALL
    SELECT unit_id, lead_unit_id, closed_week, 0, d FROM seen WHERE closed_week IS NOT NULL)
  INSERT INTO dashboard_weeks AS t (unit_id, lead_unit_id, week, opened, closed)
  SELECT unit_id, lead_unit_id, week, sum(opened), sum(closed) FROM weeks
  GROUP BY 1, 2, 3 HAVING sum(opened) <> 0 OR sum(closed) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT (unit_id, lead_unit_id, week) DO UPDATE SET opened = t.opened + EXCLUDED.opened, closed = t.closed + EXCLUDED.closed;
$$;

-- An update that changes none of the summarised columns (most transitions: a report, a plan)
-- nets to nothing and writes no summary row.
CREATE FUNCTION items_dashboard_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM dashboard_apply(ARRAY(SELECT dashboard_delta_of(n, 1) FROM new_rows n));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM dashboard_apply(ARRAY(SELECT dashboard_delta_of(o, -1) FROM old_rows o
                                  UNION ALL SELECT dashboard_delta_of(n, 1) FROM new_rows n));
  ELSE
    PERFORM dashboard_apply(ARRAY(SELECT dashboard_delta_of(o, -1) FROM old_rows o));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION items_dashboard_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM dashboard_counts;
  DELETE FROM dashboard_deadlines;
  DELETE FROM dashboard_weeks;
  RETURN NULL;
END $$;

-- 催办 to the units named, or to the item's lead unit when none were named.
CREATE FUNCTION item_events_count_urges() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO unit_urges AS t (unit_id, n)
  SELECT u, count(*) FROM (
    SELECT DISTINCT e.id, u FROM new_events e
    LEFT JOIN items i ON i.id = e.item_id
    CROSS JOIN LATERAL jsonb_array_elements_text(
      CASE WHEN jsonb_typeof(e.payload->'unitIds') = 'array' AND jsonb_array_length(e.payload->'unitIds') > 0
           THEN e.payload->'unitIds' ELSE jsonb_build_array(i.lead_unit_id) END) u
    WHERE e.action = 'urge') x
  WHERE u IS NOT NULL
  GROUP BY u ORDER BY u
  ON CONFLICT (unit_id) DO UPDATE SET n = t.n + EXCLUDED.n;
  RETURN NULL;
END $$;

-- The backfill and the triggers see the same rows: no write slips in between.
LOCK TABLE "items" IN SHARE ROW EXCLUSIVE MODE;
LOCK TABLE "item_events" IN SHARE ROW EXCLUSIVE MODE;

SELECT dashboard_apply(ARRAY(SELECT dashboard_delta_of(i, 1) FROM items i));

INSERT INTO unit_urges (unit_id, n)
SELECT u, count(*) FROM (
  SELECT DISTINCT e.id, u FROM item_events e
  LEFT JOIN items i ON i.id = e.item_id
  CROSS JOIN LATERAL jsonb_array_elements_text(
    CASE WHEN jsonb_typeof(e.payload->'unitIds') = 'array' AND jsonb_array_length(e.payload->'unitIds') > 0
         THEN e.payload->'unitIds' ELSE jsonb_build_array(i.lead_unit_id) END) u
  WHERE e.action = 'urge') x
WHERE u IS NOT NULL
GROUP BY u;

CREATE TRIGGER items_dashboard_insert AFTER INSERT ON "items"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION items_dashboard_tally();
CREATE TRIGGER items_dashboard_update AFTER UPDATE ON "items"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION items_dashboard_tally();
CREATE TRIGGER items_dashboard_delete AFTER DELETE ON "items"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION items_dashboard_tally();
CREATE TRIGGER items_dashboard_truncate AFTER TRUNCATE ON "items"
  FOR EACH STATEMENT EXECUTE FUNCTION items_dashboard_reset();
CREATE TRIGGER item_events_urges AFTER INSERT ON "item_events"
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION item_events_count_urges();

-- The red items most overdue, in the list's 超期最久 order, without reading the other items.
CREATE INDEX "items_red_open_deadline_idx" ON "items" ((coalesce("deadline_date", "due_date")), "id")
  WHERE "light" = 'red' AND "status" NOT IN ('closed', 'withdrawn');
