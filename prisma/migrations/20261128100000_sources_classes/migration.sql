-- Sources and classes (issue 21): every item and problem list names its source (来源类别) from a
-- taxonomy the administrator edits, and may carry classes: 共性/个性, a domain (领域), tags.
-- Self-found problems (自查自纠) are flagged on the item when it is opened, as its source said then.

-- The taxonomy of sources and domains. A code in use is deactivated, never deleted: rows are
-- kept, and `active` says whether new items may name it.
CREATE TABLE "classification_terms" (
    "kind" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "self_found" BOOLEAN NOT NULL DEFAULT false,
    "position" INTEGER NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "updated_by" TEXT NOT NULL DEFAULT 'system',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),

    CONSTRAINT "classification_terms_pkey" PRIMARY KEY ("kind", "code"),
    CONSTRAINT "classification_terms_kind_check" CHECK ("kind" IN ('source', 'domain')),
    -- Only a source can be self-found.
    CONSTRAINT "classification_terms_self_found_check" CHECK ("kind" = 'source' OR NOT "self_found")
);

INSERT INTO "classification_terms" ("kind", "code", "label", "self_found", "position") VALUES
    ('source', 'xunshi', '巡视巡察', false, 1),
    ('source', 'shenji', '审计', false, 2),
    ('source', 'ducha', '督查检查', false, 3),
    ('source', 'huanbao', '环保督察', false, 4),
    ('source', 'anquan', '安全生产', false, 5),
    ('source', 'yuqing', '舆情', false, 6),
    ('source', 'xinfang', '信访', false, 7),
    ('source', 'renda', '人大政协', false, 8),
    ('source', 'zhuanban', '上级转办', false, 9),
    ('source', 'pishi', '领导批示', false, 10),
    ('source', 'jiance', '监测预警', false, 11),
    ('source', 'zicha', '自查自纠', true, 12),
    ('domain', 'anquan-shengchan', '安全生产', false, 1),
    ('domain', 'shipin-anquan', '食品安全', false, 2),
    ('domain', 'shengtai-huanjing', '生态环境', false, 3),
    ('domain', 'chengshi-guanli', '城市管理', false, 4),
    ('domain', 'minsheng', '民生保障', false, 5),
    ('domain', 'jingji', '经济发展', false, 6),
    ('domain', 'dangjian', '党的建设', false, 7),
    ('domain', 'qita', '其他', false, 8);

-- The item's classes. Written when the item is first recorded (activities/record.ts), changed
-- afterwards only through api/classes-service.ts (with its history below); the workflow's later
-- records never touch them.
ALTER TABLE "items"
    ADD COLUMN "source_code" TEXT NOT NULL DEFAULT 'ducha',
    ADD COLUMN "commonality" TEXT,
    ADD COLUMN "domain_code" TEXT,
    ADD COLUMN "tags" TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN "self_found" BOOLEAN NOT NULL DEFAULT false,
    ADD CONSTRAINT "items_commonality_check" CHECK ("commonality" IN ('common', 'individual'));

-- Existing items: the source their free text names when it is a taxonomy label, else 督查检查.
UPDATE "items" i SET "source_code" = t."code", "self_found" = t."self_found"
  FROM "classification_terms" t
  WHERE t."kind" = 'source' AND t."label" = btrim(i."source") AND t."code" <> 'ducha';

CREATE INDEX "items_source_code_idx" ON "items" ("source_code");
CREATE INDEX "items_domain_code_idx" ON "items" ("domain_code") WHERE "domain_code" IS NOT NULL;
CREATE INDEX "items_self_found_idx" ON "items" ("self_found") WHERE "self_found";
CREATE INDEX "items_tags_idx" ON "items" USING GIN ("tags");

-- A problem list's source; its items inherit it unless a row names another.
ALTER TABLE "problem_lists" ADD COLUMN "source_code" TEXT NOT NULL DEFAULT 'ducha';
UPDATE "problem_lists" l SET "source_code" = t."code"
  FROM "classification_terms" t
  WHERE t."kind" = 'source' AND t."label" = btrim(l."source") AND t."code" <> 'ducha';

-- Every change of an item's classes after it was opened: who, when, from what to what.
CREATE TABLE "item_class_changes" (
    "id" BIGSERIAL NOT NULL,
    "item_id" TEXT NOT NULL,
    "changed_by" TEXT NOT NULL,
    "changed_by_name" TEXT NOT NULL,
    "changed_at" TIMESTAMPTZ(3) NOT NULL,
    "from_classes" JSONB NOT NULL,
    "to_classes" JSONB NOT NULL,

    CONSTRAINT "item_class_changes_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "item_class_changes_item_id_fkey" FOREIGN KEY ("item_id") REFERENCES "items"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "item_class_changes_item_id_idx" ON "item_class_changes" ("item_id", "id");

-- The history is never rewritten (a restore runs with triggers off, lib/backup.ts).
CREATE FUNCTION refuse_class_change_edit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'item_class_changes is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER item_class_changes_append_only BEFORE UPDATE OR DELETE ON "item_class_changes" FOR EACH ROW EXECUTE FUNCTION refuse_class_change_edit();

-- The dashboard's items by source (and self-found), open or not, kept like the other summaries
-- of migration 20261128020000_dashboard_summaries: per unit that sees an item (its lead unit and
-- each co-unit) and per lead unit, netted per statement by triggers on `items`, so the overview
-- sums summary rows instead of scanning the items.
CREATE TABLE "dashboard_sources" (
    "unit_id" TEXT NOT NULL,
    "lead_unit_id" TEXT NOT NULL,
    "source_code" TEXT NOT NULL,
    "self_found" BOOLEAN NOT NULL,
    "open" BOOLEAN NOT NULL,
    "n" INTEGER NOT NULL,

    CONSTRAINT "dashboard_sources_pkey" PRIMARY KEY ("unit_id", "lead_unit_id", "source_code", "self_found", "open")
);

CREATE TYPE dashboard_source_delta AS (
    d INTEGER, lead_unit_id TEXT, co_unit_ids TEXT[], source_code TEXT, self_found BOOLEAN, open BOOLEAN
);

-- Rows are upserted in key order, so concurrent writers lock them in the same order.
CREATE FUNCTION dashboard_sources_apply(deltas dashboard_source_delta[]) RETURNS void LANGUAGE sql AS $$
  WITH seen AS (
    SELECT v.unit_id, x.* FROM unnest(deltas) x
    CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(array_prepend(x.lead_unit_id, coalesce(x.co_unit_ids, '{}'))) u) v(unit_id))
  INSERT INTO dashboard_sources AS t (unit_id, lead_unit_id, source_code, self_found, open, n)
  SELECT unit_id, lead_unit_id, source_code, self_found, open, sum(d) FROM seen
  GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (unit_id, lead_unit_id, source_code, self_found, open) DO UPDATE SET n = t.n + EXCLUDED.n;
$$;

CREATE FUNCTION dashboard_source_delta_of(i items, d INTEGER) RETURNS dashboard_source_delta LANGUAGE sql STABLE AS $$
  SELECT ROW(d, i.lead_unit_id, coalesce(i.co_unit_ids, '{}'), i.source_code, i.self_found,
             i.status NOT IN ('closed', 'withdrawn'))::dashboard_source_delta
$$;

-- Most updates (a report, a plan, a step between open states) change none of these columns:
-- only the rows that do are netted, and a statement with none writes nothing.
CREATE FUNCTION items_sources_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  deltas dashboard_source_delta[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    deltas := ARRAY(SELECT dashboard_source_delta_of(n, 1) FROM new_rows n);
  ELSIF TG_OP = 'UPDATE' THEN
    deltas := ARRAY(
      SELECT x FROM old_rows o JOIN new_rows n ON n.id = o.id
      CROSS JOIN LATERAL (VALUES (dashboard_source_delta_of(o, -1)), (dashboard_source_delta_of(n, 1))) v(x)
      WHERE (o.lead_unit_id, o.co_unit_ids, o.source_code, o.self_found, o.status NOT IN ('closed', 'withdrawn'))
            IS DISTINCT FROM (n.lead_unit_id, n.co_unit_ids, n.source_code, n.self_found, n.status NOT IN ('closed', 'withdrawn')));
  ELSE
    deltas := ARRAY(SELECT dashboard_source_delta_of(o, -1) FROM old_rows o);
  END IF;
  IF cardinality(deltas) > 0 THEN
    PERFORM dashboard_sources_apply(deltas);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION items_sources_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM dashboard_sources;
  RETURN NULL;
END $$;

-- The backfill and the triggers see the same rows: no write slips in between.
LOCK TABLE "items" IN SHARE ROW EXCLUSIVE MODE;
SELECT dashboard_sources_apply(ARRAY(SELECT dashboard_source_delta_of(i, 1) FROM items i));

CREATE TRIGGER items_sources_insert AFTER INSERT ON "items"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION items_sources_tally();
CREATE TRIGGER items_sources_update AFTER UPDATE ON "items"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION items_sources_tally();
CREATE TRIGGER items_sources_delete AFTER DELETE ON "items"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION items_sources_tally();
CREATE TRIGGER items_sources_truncate AFTER TRUNCATE ON "items"
  FOR EACH STATEMENT EXECUTE FUNCTION items_sources_reset();
