-- CreateIndex
CREATE INDEX "items_updated_at_idx" ON "items"("updated_at");

-- CreateIndex
CREATE INDEX "items_created_at_idx" ON "items"("created_at");

-- CreateIndex
CREATE INDEX "items_closed_at_idx" ON "items"("closed_at");

-- CreateIndex
CREATE INDEX "items_status_light_due_date_lead_unit_id_idx" ON "items"("status", "light", "due_date", "lead_unit_id");

