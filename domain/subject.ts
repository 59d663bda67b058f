/**
 * What a notice or an evidence file is about: a supervision item, a monitoring cycle (its
 * reporting requests, reminders and 晾晒), or a 举一反三 fan-out (the units' requests, chases,
 * and the files of their answers). Stored as two columns, `subject_kind` and `subject_id`; the
 * kind says which table the id is in.
 */
export type Subject = { kind: 'item'; id: string } | { kind: 'cycle'; id: string } | { kind: 'fan_out'; id: string };

export type SubjectKind = Subject['kind'];

export const SUBJECT_KINDS = ['item', 'cycle', 'fan_out'] as const satisfies readonly SubjectKind[];

export const itemSubject = (id: string): Subject => ({ kind: 'item', id });

export const cycleSubject = (id: string): Subject => ({ kind: 'cycle', id });

export const fanOutSubject = (id: string): Subject => ({ kind: 'fan_out', id });

export function isSubjectKind(kind: string): kind is SubjectKind {
  return (SUBJECT_KINDS as readonly string[]).includes(kind);
}

/** The subject of a stored row (a notice, an outbox message, an evidence file). */
export function subjectOf(row: { subjectKind: string; subjectId: string }): Subject {
  if (!isSubjectKind(row.subjectKind)) throw new Error(`unknown subject kind: ${row.subjectKind}`);
  return { kind: row.subjectKind, id: row.subjectId };
}

/** The columns that name a subject, as a Prisma filter or the fields of a row to write. */
export function subjectColumns(subject: Subject): { subjectKind: SubjectKind; subjectId: string } {
  return { subjectKind: subject.kind, subjectId: subject.id };
}

/** Where the console shows the subject (a path under the public URL). */
export function subjectPath(subject: Subject): string {
  switch (subject.kind) {
    case 'item':
      return `/items/${subject.id}`;
    case 'cycle':
      return `/cycles/${subject.id}`;
    case 'fan_out':
      return `/fan-outs/${subject.id}`;
  }
}
