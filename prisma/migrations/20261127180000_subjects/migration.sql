-- A notice or an evidence file is about a subject: an item, or a monitoring cycle. Until now a
-- cycle's id stood in "item_id"; "subject_kind" says which of the two the id names.
-- Backfill: an id that is a cycle's id is a cycle, any other an item's.

-- AlterTable
ALTER TABLE "notification_requests" RENAME COLUMN "item_id" TO "subject_id";
ALTER TABLE "notification_requests" ADD COLUMN "subject_kind" TEXT;
UPDATE "notification_requests" SET "subject_kind" =
  CASE WHEN EXISTS (SELECT 1 FROM "cycles" c WHERE c."id" = "subject_id") THEN 'cycle' ELSE 'item' END;
ALTER TABLE "notification_requests" ALTER COLUMN "subject_kind" SET NOT NULL,
ADD CONSTRAINT "notification_requests_subject_kind_check" CHECK ("subject_kind" IN ('item', 'cycle'));

-- AlterTable
ALTER TABLE "outbox" RENAME COLUMN "item_id" TO "subject_id";
ALTER TABLE "outbox" ADD COLUMN "subject_kind" TEXT;
UPDATE "outbox" SET "subject_kind" =
  CASE WHEN EXISTS (SELECT 1 FROM "cycles" c WHERE c."id" = "subject_id") THEN 'cycle' ELSE 'item' END;
ALTER TABLE "outbox" ALTER COLUMN "subject_kind" SET NOT NULL,
ADD CONSTRAINT "outbox_subject_kind_check" CHECK ("subject_kind" IN ('item', 'cycle'));

-- AlterTable
ALTER TABLE "evidence" RENAME COLUMN "item_id" TO "subject_id";
ALTER TABLE "evidence" ADD COLUMN "subject_kind" TEXT;
UPDATE "evidence" SET "subject_kind" =
  CASE WHEN EXISTS (SELECT 1 FROM "cycles" c WHERE c."id" = "subject_id") THEN 'cycle' ELSE 'item' END;
ALTER TABLE "evidence" ALTER COLUMN "subject_kind" SET NOT NULL,
ADD CONSTRAINT "evidence_subject_kind_check" CHECK ("subject_kind" IN ('item', 'cycle'));

-- DropIndex
DROP INDEX "notification_requests_item_id_idx";

-- DropIndex
DROP INDEX "outbox_item_id_idx";

-- DropIndex
DROP INDEX "evidence_item_id_sha256_key";

-- CreateIndex
CREATE INDEX "notification_requests_subject_kind_subject_id_idx" ON "notification_requests"("subject_kind", "subject_id");

-- CreateIndex
CREATE INDEX "outbox_subject_kind_subject_id_idx" ON "outbox"("subject_kind", "subject_id");

-- CreateIndex
CREATE UNIQUE INDEX "evidence_subject_kind_subject_id_sha256_key" ON "evidence"("subject_kind", "subject_id", "sha256");
