-- 督办编号 and search (issue 18).
--
-- The number (督〔2026〕12号: the office's prefix, the item's year in Asia/Shanghai, a sequence per
-- prefix and year) is taken in the one place every item passes through: the row's first INSERT,
-- by a trigger, whichever path opened it (the API, a problem list, a red monitoring light, the
-- demo, a bulk load). The next number of a prefix and year is one more than the highest taken
-- (an index lookup), under a transaction-scoped advisory lock per prefix and year, so concurrent
-- openings queue for it and see each other's; an aborted insert takes nothing, so there are no
-- gaps (items are never deleted). Not a counter row: one transaction loading 100,000 items
-- would update the same row 100,000 times, each update slower than the last.
--
-- Search reads `search_grams`: the character bigrams of `search_text` (number, title,
-- description, source, creator, the units' names, the lead unit's contacts), under a GIN index.
-- The database runs with LC_CTYPE=C, where pg_trgm drops every Chinese character, and a
-- two-character word (整改) has no trigram at all; bigrams find both.

CREATE TABLE "office_settings" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "number_prefix" TEXT NOT NULL DEFAULT '督',
    "office_name" TEXT NOT NULL DEFAULT '督查室',
    "updated_by" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "office_settings_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "office_settings_single_row" CHECK ("id" = 1)
);
INSERT INTO "office_settings" ("id") VALUES (1);

ALTER TABLE "items" ADD COLUMN "number" TEXT,
    ADD COLUMN "number_prefix" TEXT,
    ADD COLUMN "number_year" INTEGER,
    ADD COLUMN "number_seq" INTEGER,
    ADD COLUMN "search_text" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "search_grams" TEXT[] NOT NULL DEFAULT '{}';

CREATE FUNCTION item_number(prefix TEXT, year INTEGER, seq INTEGER) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT prefix || '〔' || year || '〕' || seq || '号'
$$;

-- Text as it is searched: ASCII letters folded, every bracket the 〔〕 of a number, every white
-- space one blank (api/read/search.ts normalises the query the same way).
CREATE FUNCTION search_normal(t TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
  SELECT lower(translate(coalesce(t, ''), '[]【】()（）' || chr(12288) || E'\n\r\t', '〔〕〔〕〔〕〔〕    '))
$$;

-- The pairs of adjacent characters, none across a blank (repeats left in: GIN keeps each key once
-- per row). A loop over the characters: the set-returning SQL form costs five times as much, and
-- a bulk load of 100,000 items runs it once per row.
CREATE FUNCTION search_grams(t TEXT) RETURNS TEXT[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  c TEXT[] := string_to_array(t, NULL);
  r TEXT[] := '{}';
BEGIN
  FOR i IN 1 .. coalesce(array_length(c, 1), 0) - 1 LOOP
    IF c[i] <> ' ' AND c[i + 1] <> ' ' THEN r := r || (c[i] || c[i + 1]); END IF;
  END LOOP;
  RETURN r;
END $$;

CREATE FUNCTION item_search_text(i items) RETURNS TEXT LANGUAGE sql STABLE AS $$
  SELECT search_normal(concat_ws(' ', i.number, i.title, i.description, i.source, i.snapshot #>> '{createdBy,name}',
    (SELECT string_agg(u.name, ' ') FROM units u WHERE u.id = i.lead_unit_id OR u.id = ANY(i.co_unit_ids)),
    (SELECT string_agg(c.name, ' ') FROM contacts c WHERE c.unit_id = i.lead_unit_id AND c.role IN ('handler', 'unit_leader'))))
$$;

-- Existing items, numbered in the order they were opened, with the prefix in force (督).
WITH numbered AS (
  SELECT id, y, row_number() OVER (PARTITION BY y ORDER BY created_at, id)::int AS n
  FROM (SELECT id, created_at, extract(year FROM created_at AT TIME ZONE 'Asia/Shanghai')::int AS y FROM items) s)
UPDATE items SET number = item_number('督', numbered.y, numbered.n), number_prefix = '督', number_year = numbered.y,
  number_seq = numbered.n
FROM numbered WHERE numbered.id = items.id;
UPDATE items SET search_text = item_search_text(items);
UPDATE items SET search_grams = search_grams(search_text);

ALTER TABLE "items" ALTER COLUMN "number" SET NOT NULL, ALTER COLUMN "number_prefix" SET NOT NULL,
  ALTER COLUMN "number_year" SET NOT NULL, ALTER COLUMN "number_seq" SET NOT NULL;
CREATE UNIQUE INDEX "items_number_key" ON "items" ("number");
CREATE UNIQUE INDEX "items_number_prefix_number_year_number_seq_key" ON "items" ("number_prefix", "number_year", "number_seq");
CREATE INDEX "items_search_grams_idx" ON "items" USING GIN ("search_grams");

CREATE FUNCTION items_number_and_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- Every transition after the first is an upsert of a row already there: it keeps its number
    -- (the UPDATE leaves it) and takes none.
    IF NEW.number IS NULL THEN
      SELECT number, number_prefix, number_year, number_seq INTO NEW.number, NEW.number_prefix, NEW.number_year, NEW.number_seq
        FROM items WHERE id = NEW.id;
      IF FOUND THEN RETURN NEW; END IF;
      SELECT number_prefix INTO NEW.number_prefix FROM office_settings WHERE id = 1;
      NEW.number_prefix := coalesce(NEW.number_prefix, '督');
      NEW.number_year := extract(year FROM NEW.created_at AT TIME ZONE 'Asia/Shanghai');
      PERFORM pg_advisory_xact_lock(hashtextextended('item_number/' || NEW.number_prefix || '/' || NEW.number_year, 0));
      -- Read committed: this query's snapshot is taken after the lock, so it sees every number
      -- taken before (and those of earlier rows of this statement).
      SELECT coalesce(max(number_seq), 0) + 1 INTO NEW.number_seq FROM items
        WHERE number_prefix = NEW.number_prefix AND number_year = NEW.number_year;
      NEW.number := item_number(NEW.number_prefix, NEW.number_year, NEW.number_seq);
    END IF;
    NEW.search_text := item_search_text(NEW);
  ELSIF NEW.title IS DISTINCT FROM OLD.title OR NEW.description IS DISTINCT FROM OLD.description
     OR NEW.source IS DISTINCT FROM OLD.source OR NEW.number IS DISTINCT FROM OLD.number
     OR NEW.lead_unit_id IS DISTINCT FROM OLD.lead_unit_id OR NEW.co_unit_ids IS DISTINCT FROM OLD.co_unit_ids THEN
    NEW.search_text := item_search_text(NEW);
  END IF;
  IF TG_OP = 'INSERT' OR NEW.search_text IS DISTINCT FROM OLD.search_text THEN
    NEW.search_grams := search_grams(NEW.search_text);
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER items_number_and_search BEFORE INSERT OR UPDATE ON items
  FOR EACH ROW EXECUTE FUNCTION items_number_and_search();

-- A unit renamed, or its contacts changed: the search text of its items follows.
CREATE FUNCTION items_search_refresh(unit TEXT, as_co_unit BOOLEAN) RETURNS void LANGUAGE sql AS $$
  UPDATE items SET search_text = item_search_text(items)
  WHERE (lead_unit_id = unit OR (as_co_unit AND unit = ANY(co_unit_ids)))
    AND search_text IS DISTINCT FROM item_search_text(items)
$$;

CREATE FUNCTION units_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM items_search_refresh(NEW.id, true);
  RETURN NULL;
END $$;

CREATE FUNCTION contacts_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.unit_id IS NOT NULL THEN PERFORM items_search_refresh(OLD.unit_id, false); END IF;
  IF TG_OP <> 'DELETE' AND NEW.unit_id IS NOT NULL THEN PERFORM items_search_refresh(NEW.unit_id, false); END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER units_search_refresh AFTER UPDATE OF name ON units
  FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION units_search_refresh();
CREATE TRIGGER contacts_search_refresh AFTER INSERT OR UPDATE OF name, unit_id, role OR DELETE ON contacts
  FOR EACH ROW EXECUTE FUNCTION contacts_search_refresh();
