// What `cache prune` and `cache merge` print for people (their --json is for machines).
import { t } from '../i18n/index.js';
import type { MergeCounts } from './merge.js';
import type { PruneReport } from './prune.js';

export function pruneLines(file: string, report: PruneReport): string[] {
  const dry = report.dry_run;
  const r = report.results;
  const lines = [
    t(dry ? 'cache:prune.dryRun' : 'cache:prune.pruned', { cache: file }),
    t(dry ? 'cache:prune.resultsDry' : 'cache:prune.results', { total: r.total, olderThan: r.older_than, unused: r.unused, job: r.job, missing: r.missing }),
    t(dry ? 'cache:prune.imagesDry' : 'cache:prune.images', { count: report.images }),
  ];
  const f = report.files;
  if (f) {
    const values = { checked: f.checked, missing: f.missing, unreadable: f.unreadable };
    const key = dry
      ? (f.unreadable ? 'cache:prune.fileIndexDryUnreadable' : 'cache:prune.fileIndexDry')
      : (f.unreadable ? 'cache:prune.fileIndexUnreadable' : 'cache:prune.fileIndex');
    lines.push(t(key, values));
    if (report.pages) lines.push(t(dry ? 'cache:prune.pagesDry' : 'cache:prune.pages', { count: report.pages }));
    if (report.reviews) lines.push(t(dry ? 'cache:prune.reviewsDry' : 'cache:prune.reviews', { count: report.reviews }));
    if (f.relative_skipped) lines.push(t('cache:prune.relativeSkipped', { count: f.relative_skipped }));
  }
  return lines;
}

/** One source's counts (or the total's), each table's on one line. */
export function describeMerge(c: MergeCounts): string {
  return [
    t('cache:merge.results', c.results),
    t('cache:merge.jobs', c.jobs),
    t('cache:merge.images', c.images),
    t('cache:merge.pages', c.pages),
    t('cache:merge.files', c.files),
    t('cache:merge.contents', c.contents),
    t('cache:merge.reviews', c.reviews),
    t('cache:merge.runs', c.runs),
  ].join(t('cache:merge.separator'));
}
