-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "units" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "parent_id" TEXT,
    "kind" TEXT NOT NULL,

    CONSTRAINT "units_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "items" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "category" TEXT NOT NULL,
    "priority" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "lead_unit_id" TEXT NOT NULL,
    "co_unit_ids" TEXT[],
    "due_date" TEXT NOT NULL,
    "light" TEXT NOT NULL,
    "decline_count" INTEGER NOT NULL,
    "return_count" INTEGER NOT NULL,
    "problem_list_id" TEXT,
    "seq" INTEGER NOT NULL,
    "snapshot" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "closed_at" TIMESTAMPTZ(3),

    CONSTRAINT "items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "item_events" (
    "id" BIGSERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "item_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "from_status" TEXT,
    "to_status" TEXT NOT NULL,
    "actor_user_id" TEXT NOT NULL,
    "actor_name" TEXT NOT NULL,
    "actor_role" TEXT NOT NULL,
    "actor_unit_id" TEXT,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "payload" JSONB NOT NULL,
    "attachments" JSONB NOT NULL,

    CONSTRAINT "item_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "problem_lists" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "total" INTEGER NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "problem_lists_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "actor_user_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("actor_user_id","key")
);

-- CreateIndex
CREATE UNIQUE INDEX "units_name_key" ON "units"("name");

-- CreateIndex
CREATE INDEX "items_status_idx" ON "items"("status");

-- CreateIndex
CREATE INDEX "items_lead_unit_id_idx" ON "items"("lead_unit_id");

-- CreateIndex
CREATE INDEX "items_due_date_idx" ON "items"("due_date");

-- CreateIndex
CREATE INDEX "items_problem_list_id_idx" ON "items"("problem_list_id");

-- CreateIndex
CREATE INDEX "items_co_unit_ids_idx" ON "items" USING GIN ("co_unit_ids");

-- CreateIndex
CREATE UNIQUE INDEX "item_events_key_key" ON "item_events"("key");

-- CreateIndex
CREATE UNIQUE INDEX "item_events_item_id_seq_key" ON "item_events"("item_id", "seq");

-- AddForeignKey
ALTER TABLE "item_events" ADD CONSTRAINT "item_events_item_id_fkey" FOREIGN KEY ("item_id") REFERENCES "items"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

