-- AlterTable
ALTER TABLE "outbox" ADD COLUMN     "ack_token" TEXT,
ADD COLUMN     "digest_key" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "outbox_ack_token_key" ON "outbox"("ack_token");

