-- CreateTable
CREATE TABLE "plans" (
    "id" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "rules" JSONB NOT NULL,
    "tasks" JSONB NOT NULL,
    "paused" BOOLEAN NOT NULL DEFAULT false,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "plans_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "indicators" (
    "plan_id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "owner_unit_id" TEXT NOT NULL,
    "measure" TEXT NOT NULL,
    "baseline" DOUBLE PRECISION NOT NULL,
    "target" DOUBLE PRECISION NOT NULL,
    "direction" TEXT NOT NULL,
    "weight" DOUBLE PRECISION NOT NULL,
    "category" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "invented" BOOLEAN NOT NULL,

    CONSTRAINT "indicators_pkey" PRIMARY KEY ("plan_id","code")
);

-- CreateTable
CREATE TABLE "cycles" (
    "id" TEXT NOT NULL,
    "plan_id" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "opened_at" TIMESTAMPTZ(3) NOT NULL,
    "due_date" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "report" JSONB,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "cycles_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "indicator_values" (
    "plan_id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "note" TEXT NOT NULL,
    "attachments" JSONB NOT NULL,
    "source" TEXT NOT NULL,
    "submitted_by" TEXT NOT NULL,
    "submitted_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "indicator_values_pkey" PRIMARY KEY ("plan_id","code","period")
);

-- CreateTable
CREATE TABLE "reporting_requests" (
    "cycle_id" TEXT NOT NULL,
    "unit_id" TEXT NOT NULL,
    "indicators" TEXT[],
    "chased" INTEGER NOT NULL DEFAULT 0,
    "requested_at" TIMESTAMPTZ(3) NOT NULL,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "reporting_requests_pkey" PRIMARY KEY ("cycle_id","unit_id")
);

-- CreateIndex
CREATE INDEX "indicators_owner_unit_id_idx" ON "indicators"("owner_unit_id");

-- CreateIndex
CREATE UNIQUE INDEX "cycles_plan_id_period_key" ON "cycles"("plan_id", "period");

-- CreateIndex
CREATE INDEX "reporting_requests_unit_id_idx" ON "reporting_requests"("unit_id");

