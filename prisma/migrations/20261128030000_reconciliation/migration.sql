-- Reconciliation (activities/reconcile.ts): each run of the check that compares the open items'
-- rows with their workflows, and what it found. A run is open (finished_at NULL) while it checks.
CREATE TABLE "reconciliation_runs" (
    "id" BIGSERIAL NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),
    "items_checked" INTEGER,
    "findings" INTEGER,
    "trigger" TEXT NOT NULL,

    CONSTRAINT "reconciliation_runs_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "reconciliation_runs_trigger_check" CHECK ("trigger" IN ('schedule', 'manual'))
);

-- The metrics' "last reconciliation" reads max(finished_at).
CREATE INDEX "reconciliation_runs_finished_at_idx" ON "reconciliation_runs" ("finished_at");

-- One row per difference while it lasts: found by a run, seen again by later runs (run_id is the
-- last run that saw it), resolved by the first complete run that no longer sees it.
CREATE TABLE "reconciliation_findings" (
    "id" BIGSERIAL NOT NULL,
    "run_id" BIGINT NOT NULL,
    "subject_kind" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    -- Tells apart findings of one kind on one subject (a rung's notice key), '' otherwise.
    "key" TEXT NOT NULL DEFAULT '',
    "detail" JSONB NOT NULL,
    "found_at" TIMESTAMPTZ(3) NOT NULL,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "reconciliation_findings_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "reconciliation_findings_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "reconciliation_runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- At most one open finding per subject, kind and key: a run that sees it again updates that row.
CREATE UNIQUE INDEX "reconciliation_findings_open_key" ON "reconciliation_findings" ("subject_kind", "subject_id", "kind", "key")
  WHERE "resolved_at" IS NULL;
-- Open findings, for the API and the metrics.
CREATE INDEX "reconciliation_findings_open_idx" ON "reconciliation_findings" ("found_at") WHERE "resolved_at" IS NULL;
CREATE INDEX "reconciliation_findings_run_id_idx" ON "reconciliation_findings" ("run_id");
CREATE INDEX "reconciliation_findings_subject_idx" ON "reconciliation_findings" ("subject_kind", "subject_id");
