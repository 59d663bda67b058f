-- A unit's draft of its values for a cycle (保存草稿): kept per cycle and unit until it is
-- submitted (POST /api/cycles/:id/values removes what it submits). Not a value: it is not lit,
-- not ranked and not shown on the 晾晒 board.

-- CreateTable
CREATE TABLE "report_drafts" (
    "cycle_id" TEXT NOT NULL,
    "unit_id" TEXT NOT NULL,
    "values" JSONB NOT NULL,
    "attachments" JSONB NOT NULL,
    "saved_by" TEXT NOT NULL,
    "saved_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "report_drafts_pkey" PRIMARY KEY ("cycle_id","unit_id")
);
