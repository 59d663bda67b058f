-- AlterTable
ALTER TABLE "items" ADD COLUMN     "attention" TEXT,
ADD COLUMN     "attention_since" TIMESTAMPTZ(3);


-- Few rows ever need attention: a partial index finds them without reading the others.
CREATE INDEX "items_attention_idx" ON "items" ("attention_since") WHERE "attention" IS NOT NULL;
