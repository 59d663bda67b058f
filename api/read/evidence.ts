/** An item's evidence: the list of its files, and one file to download. */
import type { Actor } from '../../domain/actors';
import { can } from '../../domain/permissions';
import { itemSubject, subjectColumns } from '../../domain/subject';
import type { EvidenceStore } from '../../lib/evidence-store';
import { notFound } from '../errors';
import type { Services } from '../services';
import { loadItem } from './items';

/** The files uploaded to the item; those who verify also see whether each was submitted elsewhere or by another unit. */
export async function itemEvidence(s: Services, actor: Actor, itemId: string) {
  const item = await loadItem(s, actor, itemId);
  const ofItem = subjectColumns(itemSubject(item.id));
  const rows = await s.db.evidence.findMany({ where: ofItem, orderBy: { id: 'asc' } });
  // Reuse is shown to those who verify; telling a unit would leak other items' existence.
  const showReuse = can(actor.role, 'verifyPass');
  const others =
    showReuse && rows.length
      ? await s.db.evidence.findMany({
          where: { sha256: { in: rows.map((r) => r.sha256) }, NOT: ofItem },
          orderBy: { id: 'asc' },
        })
      : [];
  return {
    files: rows.map((r) => {
      const elsewhere = others.filter((o) => o.sha256 === r.sha256);
      const sameItemOtherUnits = showReuse ? rows.filter((o) => o.sha256 === r.sha256 && o.unitId !== r.unitId) : [];
      return {
        sha256: r.sha256,
        name: r.name,
        mime: r.mime,
        size: r.size,
        unitId: r.unitId,
        uploadedBy: r.uploadedBy,
        uploadedAt: r.createdAt.toISOString(),
        ...(showReuse
          ? {
              reused: elsewhere.length + sameItemOtherUnits.length > 0,
              reusedIn: [...elsewhere, ...sameItemOtherUnits].map((o) => ({
                // As it always was: the id of the item (or the monitoring cycle) it was uploaded to.
                itemId: o.subjectId,
                unitId: o.unitId,
                uploadedAt: o.createdAt.toISOString(),
              })),
            }
          : {}),
      };
    }),
  };
}

/** One file of the item's evidence, recorded and present in the store; else 404. */
export async function evidenceFile(s: Services, store: EvidenceStore, actor: Actor, itemId: string, sha256: string) {
  const item = await loadItem(s, actor, itemId);
  const row = await s.db.evidence.findFirst({ where: { ...subjectColumns(itemSubject(item.id)), sha256 } });
  if (!row || !(await store.exists(row.sha256))) throw notFound('文件不存在');
  return row;
}
