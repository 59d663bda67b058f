-- A unit's name is unique among its siblings, not across the whole tree: two cities may each
-- have a 市发展改革委. Root units (no parent) keep unique names through a partial index, since
-- NULL parents are distinct to an ordinary unique index.

-- DropIndex
DROP INDEX "units_name_key";

-- CreateIndex
CREATE UNIQUE INDEX "units_parent_id_name_key" ON "units"("parent_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "units_root_name_key" ON "units"("name") WHERE "parent_id" IS NULL;

-- A deadline policy override removed by the administrator is kept, marked removed, so that its
-- version number goes on if it is set again and the record of it stays.

-- AlterTable
ALTER TABLE "deadline_policies" ADD COLUMN "deleted_at" TIMESTAMPTZ(3),
ADD COLUMN "deleted_by" TEXT;
