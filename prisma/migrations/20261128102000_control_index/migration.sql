-- 管控力指数 (issue 21): versioned deduction and bonus rules, runs of the index per quarter, the
-- scores and rankings of a run with every reason behind them, and units' appeals of a reason.
-- See domain/control-index.ts for what each rule counts.

-- Each version of the rules, kept with who made it and when. Version 1 is the default rules
-- (DEFAULT_INDEX_RULES in domain/control-index.ts; a test checks they agree).
CREATE TABLE "index_rule_versions" (
    "version" INTEGER NOT NULL,
    "rules" JSONB NOT NULL,
    "note" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_by_name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),

    CONSTRAINT "index_rule_versions_pkey" PRIMARY KEY ("version")
);

INSERT INTO "index_rule_versions" ("version", "rules", "note", "created_by", "created_by_name") VALUES (1, '{
  "base": 100,
  "deductions": {
    "overdueWorkingDay": { "points": 0.5, "maxPerItem": 10 },
    "returnAtVerification": { "points": 2 },
    "relapse": { "points": 5 },
    "ignoredUrge": { "points": 1, "graceWorkingDays": 3 },
    "fanOutUnanswered": { "points": 3 }
  },
  "bonuses": {
    "selfFound": { "points": 1, "max": 5 },
    "fanOutCoverage": { "points": 0.5, "max": 5 }
  },
  "peerGroup": "kind"
}', '默认规则', 'system', '系统');

-- One computation of the index for a quarter: 'computed' until a supervisor publishes it. A later
-- published run of the same period (after an upheld appeal) supersedes the earlier one, which stays.
CREATE TABLE "index_runs" (
    "id" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "rule_version" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    -- The last day the computation looked at (the period's end, or the day it ran if earlier).
    "as_of" TEXT NOT NULL,
    "unit_count" INTEGER NOT NULL,
    "compute_ms" INTEGER NOT NULL,
    "write_ms" INTEGER NOT NULL DEFAULT 0,
    "computed_at" TIMESTAMPTZ(3) NOT NULL,
    "computed_by" TEXT NOT NULL,
    "computed_by_name" TEXT NOT NULL,
    "published_at" TIMESTAMPTZ(3),
    "published_by" TEXT,
    "published_by_name" TEXT,
    "superseded_by" TEXT,

    CONSTRAINT "index_runs_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "index_runs_rule_version_fkey" FOREIGN KEY ("rule_version") REFERENCES "index_rule_versions"("version"),
    CONSTRAINT "index_runs_status_check" CHECK ("status" IN ('computed', 'published')),
    CONSTRAINT "index_runs_trigger_check" CHECK ("trigger" IN ('schedule', 'manual'))
);
CREATE INDEX "index_runs_period_idx" ON "index_runs" ("period", "computed_at");
-- At most one published run of a period in force.
CREATE UNIQUE INDEX "index_runs_published_key" ON "index_runs" ("period")
  WHERE "status" = 'published' AND "superseded_by" IS NULL;

CREATE TABLE "index_scores" (
    "run_id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "unit_id" TEXT NOT NULL,
    "unit_name" TEXT NOT NULL,
    "group_key" TEXT NOT NULL,
    "group_label" TEXT NOT NULL,
    "score" DOUBLE PRECISION NOT NULL,
    "deducted" DOUBLE PRECISION NOT NULL,
    "added" DOUBLE PRECISION NOT NULL,
    "rank" INTEGER NOT NULL,

    CONSTRAINT "index_scores_pkey" PRIMARY KEY ("run_id", "scope", "unit_id"),
    CONSTRAINT "index_scores_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "index_runs"("id"),
    CONSTRAINT "index_scores_scope_check" CHECK ("scope" IN ('unit', 'region'))
);

-- Every deduction and bonus of a unit's score, with the event (or 举一反三 row) that caused it.
CREATE TABLE "index_reasons" (
    "id" BIGSERIAL NOT NULL,
    "run_id" TEXT NOT NULL,
    "unit_id" TEXT NOT NULL,
    "rule_key" TEXT NOT NULL,
    -- Stable across runs of a period (rule, and the item, event or fan-out): what an upheld appeal waives.
    "reason_key" TEXT NOT NULL,
    "points" DOUBLE PRECISION NOT NULL,
    "item_id" TEXT,
    "fan_out_id" TEXT,
    "event_id" BIGINT,
    "event_action" TEXT,
    "at" TIMESTAMPTZ(3),
    "detail" TEXT NOT NULL,
    "waived" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "index_reasons_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "index_reasons_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "index_runs"("id")
);
CREATE INDEX "index_reasons_run_unit_idx" ON "index_reasons" ("run_id", "unit_id");

-- A unit's appeal of one reason of its score; a supervisor upholds or dismisses it with a note.
CREATE TABLE "index_appeals" (
    "id" TEXT NOT NULL,
    "run_id" TEXT NOT NULL,
    "reason_id" BIGINT NOT NULL,
    "period" TEXT NOT NULL,
    "unit_id" TEXT NOT NULL,
    "reason_key" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "created_by" TEXT NOT NULL,
    "created_by_name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_by" TEXT,
    "decided_by_name" TEXT,
    "decided_at" TIMESTAMPTZ(3),
    "note" TEXT,

    CONSTRAINT "index_appeals_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "index_appeals_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "index_runs"("id"),
    CONSTRAINT "index_appeals_reason_id_fkey" FOREIGN KEY ("reason_id") REFERENCES "index_reasons"("id"),
    CONSTRAINT "index_appeals_status_check" CHECK ("status" IN ('pending', 'upheld', 'dismissed'))
);
CREATE INDEX "index_appeals_period_unit_idx" ON "index_appeals" ("period", "unit_id");
-- One open appeal per reason.
CREATE UNIQUE INDEX "index_appeals_pending_key" ON "index_appeals" ("reason_id") WHERE "status" = 'pending';

-- Versions, scores and reasons are written once: a published ranking cannot change under anyone.
CREATE FUNCTION "index_write_once"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is written once: % refused', TG_TABLE_NAME, TG_OP;
END $$;
CREATE TRIGGER "index_rule_versions_write_once" BEFORE UPDATE OR DELETE ON "index_rule_versions"
  FOR EACH ROW EXECUTE FUNCTION "index_write_once"();
CREATE TRIGGER "index_scores_write_once" BEFORE UPDATE OR DELETE ON "index_scores"
  FOR EACH ROW EXECUTE FUNCTION "index_write_once"();
CREATE TRIGGER "index_reasons_write_once" BEFORE UPDATE OR DELETE ON "index_reasons"
  FOR EACH ROW EXECUTE FUNCTION "index_write_once"();

-- A published run keeps its period, rules and time of computation; only its being superseded is added.
CREATE FUNCTION "index_runs_published_fixed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'index_runs: a run is never deleted';
  END IF;
  IF OLD."status" = 'published' AND (NEW."status" <> OLD."status" OR NEW."period" <> OLD."period"
      OR NEW."rule_version" <> OLD."rule_version" OR NEW."published_at" IS DISTINCT FROM OLD."published_at"
      OR OLD."superseded_by" IS NOT NULL) THEN
    RAISE EXCEPTION 'index_runs: published run % is immutable', OLD."id";
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER "index_runs_published_fixed" BEFORE UPDATE OR DELETE ON "index_runs"
  FOR EACH ROW EXECUTE FUNCTION "index_runs_published_fixed"();
