-- AlterTable
ALTER TABLE "cycles" ADD COLUMN     "workflow_id" TEXT;

