-- 管控力指数 rules version 2, the defaults for new versions (domain/control-index.ts DEFAULT_INDEX_RULES):
-- a 不存在 answer overturned at spot-check costs 5 points (version 1 had no such deduction), and
-- units are ranked against the same kind under the same parent, so a district's bureaus are no
-- longer ranked with the city's. Version 1 stays on record; published runs keep the version they used.
-- The next version number (2 on a database that only has the seeded version 1), so it is in force
-- even where a supervisor has already saved versions of their own.
INSERT INTO "index_rule_versions" ("version", "rules", "note", "created_by", "created_by_name")
SELECT coalesce(max("version"), 0) + 1, '{
  "base": 100,
  "deductions": {
    "overdueWorkingDay": { "points": 0.5, "maxPerItem": 10 },
    "returnAtVerification": { "points": 2 },
    "relapse": { "points": 5 },
    "ignoredUrge": { "points": 1, "graceWorkingDays": 3 },
    "fanOutUnanswered": { "points": 3 },
    "fanOutOverturned": { "points": 5 }
  },
  "bonuses": {
    "selfFound": { "points": 1, "max": 5 },
    "fanOutCoverage": { "points": 0.5, "max": 5 }
  },
  "peerGroup": "kindWithinParent"
}', '新增“举一反三‘不存在’答复被抽查推翻”扣分（每次 5 分）；同类分组改为“同一上级下的同类单位”，区县部门不再与市级部门混排', 'system', '系统'
  FROM "index_rule_versions";
