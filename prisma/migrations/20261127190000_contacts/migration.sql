-- Contacts carry a mobile number and an instant-messaging id besides the email, and when they
-- were entered and last changed (the console's address book; the API's /api/contacts).

-- AlterTable
ALTER TABLE "contacts" ADD COLUMN "mobile" TEXT,
ADD COLUMN "im_id" TEXT,
ADD COLUMN "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
