-- AlterTable
ALTER TABLE "items" ADD COLUMN     "calendar_warning" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "deadline_date" TEXT;

-- CreateTable
CREATE TABLE "calendar_years" (
    "year" INTEGER NOT NULL,
    "holidays" JSONB NOT NULL,
    "workdays" JSONB NOT NULL,
    "source" TEXT NOT NULL,
    "updated_by" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "calendar_years_pkey" PRIMARY KEY ("year")
);

-- CreateTable
CREATE TABLE "deadline_policies" (
    "category" TEXT NOT NULL,
    "priority" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "policy" JSONB NOT NULL,
    "updated_by" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deadline_policies_pkey" PRIMARY KEY ("category","priority")
);

-- CreateTable
CREATE TABLE "notification_requests" (
    "id" BIGSERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "item_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "targets" TEXT[],
    "unit_ids" TEXT[],
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "notification_requests_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "notification_requests_key_key" ON "notification_requests"("key");

-- CreateIndex
CREATE INDEX "notification_requests_status_idx" ON "notification_requests"("status");

-- CreateIndex
CREATE INDEX "notification_requests_item_id_idx" ON "notification_requests"("item_id");

-- CreateIndex
CREATE INDEX "items_deadline_date_idx" ON "items"("deadline_date");

-- CreateIndex
CREATE INDEX "items_light_idx" ON "items"("light");

