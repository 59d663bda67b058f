-- 举一反三 (fan-out, issue 21): a 共性 problem fanned out to peer units, each of which answers
-- 不存在 (with a reason) or 存在 (which opens an item under it, linked here by item_id). Written by
-- the API (answers, spot-checks) and by the fan-out workflow's activities (asked, chased, sampled).
CREATE TABLE "fan_outs" (
    "id" TEXT NOT NULL,
    "origin_item_id" TEXT NOT NULL,
    "requirements" TEXT NOT NULL,
    -- How the units were chosen (kinds, subtree, by hand, excluded), as the supervisor asked.
    "selection" JSONB NOT NULL,
    "answer_days" INTEGER NOT NULL,
    -- YYYY-MM-DD, a working day: answer_days working days after the fan-out was made.
    "answer_due" TEXT NOT NULL,
    "item_due_days" INTEGER NOT NULL,
    "spot_check_share" NUMERIC NOT NULL,
    -- The rungs for silent units: [{ key, offset (working days from answer_due), targets }].
    "ladder" JSONB NOT NULL,
    "unit_count" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_by_name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "sampled_at" TIMESTAMPTZ NULL,

    CONSTRAINT "fan_outs_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "fan_outs_origin_item_id_fkey" FOREIGN KEY ("origin_item_id") REFERENCES "items"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "fan_outs_status_check" CHECK ("status" IN ('asking', 'answering', 'sampled')),
    CONSTRAINT "fan_outs_share_check" CHECK ("spot_check_share" >= 0 AND "spot_check_share" <= 1)
);

-- The fan-outs of an origin item (its 举一反三 board).
CREATE INDEX "fan_outs_origin_item_id_idx" ON "fan_outs" ("origin_item_id");

CREATE TABLE "fan_out_units" (
    "fan_out_id" TEXT NOT NULL,
    "unit_id" TEXT NOT NULL,
    "asked_at" TIMESTAMPTZ NULL,
    "chased" INTEGER NOT NULL DEFAULT 0,
    "last_chased_at" TIMESTAMPTZ NULL,
    "answer" TEXT NULL,
    "reason" TEXT NULL,
    "attachments" JSONB NOT NULL DEFAULT '[]',
    "answered_by" TEXT NULL,
    "answered_by_name" TEXT NULL,
    "answered_at" TIMESTAMPTZ NULL,
    -- The item opened for a 存在 answer, or for a 不存在 overturned at the spot-check.
    "item_id" TEXT NULL,
    "sampled" BOOLEAN NOT NULL DEFAULT false,
    "spot_check" TEXT NULL,
    "spot_check_note" TEXT NULL,
    "spot_check_by" TEXT NULL,
    "spot_check_at" TIMESTAMPTZ NULL,

    CONSTRAINT "fan_out_units_pkey" PRIMARY KEY ("fan_out_id", "unit_id"),
    CONSTRAINT "fan_out_units_fan_out_id_fkey" FOREIGN KEY ("fan_out_id") REFERENCES "fan_outs"("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "fan_out_units_answer_check" CHECK ("answer" IS NULL OR "answer" IN ('absent', 'present')),
    CONSTRAINT "fan_out_units_spot_check_check" CHECK ("spot_check" IS NULL OR "spot_check" IN ('upheld', 'overturned')),
    -- Only a sampled 不存在 is spot-checked.
    CONSTRAINT "fan_out_units_spot_check_sampled" CHECK ("spot_check" IS NULL OR ("sampled" AND "answer" = 'absent'))
);

-- What a unit is asked (GET /api/fan-outs/mine), and the index's count of unanswered fan-outs per unit.
CREATE INDEX "fan_out_units_unit_id_idx" ON "fan_out_units" ("unit_id");

-- An answer and a spot-check decision, once given, stand: the API writes each with
-- `WHERE answer IS NULL` (`spot_check IS NULL`), and this refuses any later change to them, to the
-- item they opened, or a draw taken back.
CREATE FUNCTION "fan_out_units_immutable"() RETURNS trigger AS $$
BEGIN
  IF OLD.answer IS NOT NULL AND (
       NEW.answer IS DISTINCT FROM OLD.answer OR NEW.reason IS DISTINCT FROM OLD.reason
       OR NEW.attachments IS DISTINCT FROM OLD.attachments OR NEW.answered_by IS DISTINCT FROM OLD.answered_by
       OR NEW.answered_by_name IS DISTINCT FROM OLD.answered_by_name OR NEW.answered_at IS DISTINCT FROM OLD.answered_at) THEN
    RAISE EXCEPTION 'fan_out_units: the answer of unit % in fan-out % is final', OLD.unit_id, OLD.fan_out_id;
  END IF;
  IF OLD.spot_check IS NOT NULL AND (
       NEW.spot_check IS DISTINCT FROM OLD.spot_check OR NEW.spot_check_note IS DISTINCT FROM OLD.spot_check_note
       OR NEW.spot_check_by IS DISTINCT FROM OLD.spot_check_by OR NEW.spot_check_at IS DISTINCT FROM OLD.spot_check_at) THEN
    RAISE EXCEPTION 'fan_out_units: the spot-check of unit % in fan-out % is final', OLD.unit_id, OLD.fan_out_id;
  END IF;
  IF OLD.item_id IS NOT NULL AND NEW.item_id IS DISTINCT FROM OLD.item_id THEN
    RAISE EXCEPTION 'fan_out_units: the item opened for unit % in fan-out % is final', OLD.unit_id, OLD.fan_out_id;
  END IF;
  IF OLD.sampled AND NOT NEW.sampled THEN
    RAISE EXCEPTION 'fan_out_units: the draw of unit % in fan-out % is final', OLD.unit_id, OLD.fan_out_id;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "fan_out_units_immutable" BEFORE UPDATE ON "fan_out_units"
  FOR EACH ROW EXECUTE FUNCTION "fan_out_units_immutable"();


-- A fan-out is a subject of notices (the units' requests and chases) and of evidence (the files of
-- an answer), beside items and monitoring cycles (domain/subject.ts).
ALTER TABLE "notification_requests" DROP CONSTRAINT "notification_requests_subject_kind_check",
  ADD CONSTRAINT "notification_requests_subject_kind_check" CHECK ("subject_kind" IN ('item', 'cycle', 'fan_out'));
ALTER TABLE "outbox" DROP CONSTRAINT "outbox_subject_kind_check",
  ADD CONSTRAINT "outbox_subject_kind_check" CHECK ("subject_kind" IN ('item', 'cycle', 'fan_out'));
ALTER TABLE "evidence" DROP CONSTRAINT "evidence_subject_kind_check",
  ADD CONSTRAINT "evidence_subject_kind_check" CHECK ("subject_kind" IN ('item', 'cycle', 'fan_out'));
