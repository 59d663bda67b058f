-- A closed item keeps how late its accepted result was handed in, in working days past the
-- closure deadline (0: on time; null: closed before this was kept, or still open): lists and
-- statistics filter "closed late" by it.

-- AlterTable
ALTER TABLE "items" ADD COLUMN "closed_late_working_days" INTEGER;

-- CreateIndex
CREATE INDEX "items_closed_late_working_days_idx" ON "items"("closed_late_working_days");
