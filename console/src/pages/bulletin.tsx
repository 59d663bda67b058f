import type { ComponentChildren } from 'preact';
import { download, get } from '../api';
import { shanghaiDay } from '../format';
import { ErrorBox, Link, Loading, useLoad } from '../ui';
import { ScrollRegion } from './cycle';

/** GET /api/cycles/:id/bulletin (api/routes/monitoring.schemas.ts, Bulletin). */
interface Bulletin {
  cycleId: string;
  planTitle: string;
  period: string;
  periodWords: string;
  title: string;
  publishedAt: string;
  elapsed: number;
  rule: string;
  summary: string[];
  groups: Array<{
    group: string;
    label: string;
    rows: Array<{
      rank: number | null;
      unitId: string;
      unitName: string;
      progress: string;
      gap: string;
      lights: { green: number; yellow: number; red: number };
      owed: number;
      reported: number;
      note: string;
    }>;
  }>;
  reds: Array<{ unitId: string; unitName: string; indicators: Array<{ code: string; name: string; why: string }> }>;
  notReported: Array<{ unitId: string; unitName: string; missing: Array<{ code: string; name: string }> }>;
}

const SECTION_NUMBERS = ['一', '二', '三', '四', '五'];

/**
 * 晾晒通报: a published cycle as an office's bulletin, for the screen and for print (A4, no
 * navigation or buttons: see @media print in styles.css): title, the summary in sentences, each
 * group's ranking in words and percentages, the units with red indicators and those that did not
 * report. The same content as the .xlsx the 导出 button fetches.
 */
export function BulletinPage({ id }: { id: string }) {
  const path = `/api/cycles/${encodeURIComponent(id)}`;
  const loaded = useLoad(() => get<Bulletin>(`${path}/bulletin`), [id]);
  if (!loaded.data) return loaded.error ? <ErrorBox error={loaded.error} /> : <Loading />;
  const b = loaded.data;
  const sections: Array<[string, ComponentChildren]> = [
    [
      '总体情况',
      <>
        {b.summary.map((line, i) => (
          <p key={i} class="bulletin-summary">
            {line}
          </p>
        ))}
        <p class="bulletin-rule">
          说明：进度为各指标完成进度相对时序进度（本期末已过去的全年比例）的加权平均，100% 即与时序进度同步。
          {b.rule}
        </p>
      </>,
    ],
    [
      '各组排名',
      b.groups.map((g) => (
        <div class="bulletin-group" key={g.group}>
          <h3>{g.label}</h3>
          <ScrollRegion label={`${g.label}排名表`}>
            <table class="bulletin-table" data-group={g.group}>
              <caption class="sr-only">
                {b.periodWords}
                {g.label}排名
              </caption>
              <thead>
                <tr>
                  <th scope="col">名次</th>
                  <th scope="col">单位</th>
                  <th scope="col">进度（相对时序进度）</th>
                  <th scope="col">绿 / 黄 / 红灯</th>
                  <th scope="col">已报 / 应报</th>
                  <th scope="col">与前一名差距</th>
                </tr>
              </thead>
              <tbody>
                {g.rows.map((r) => (
                  <tr key={r.unitId} data-unit={r.unitId} class={r.lights.red > 0 ? 'has-red' : ''}>
                    <td>{r.rank ?? '不排名'}</td>
                    <td>{r.unitName}</td>
                    <td>{r.note || r.progress}</td>
                    <td>
                      {r.lights.green} / {r.lights.yellow} / {r.lights.red}
                    </td>
                    <td>{r.owed ? `${r.reported} / ${r.owed}` : '系统计算'}</td>
                    <td>{r.gap}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </ScrollRegion>
        </div>
      )),
    ],
    [
      '红灯单位',
      b.reds.length === 0 ? (
        <p>本期没有红灯指标。</p>
      ) : (
        <ul class="bulletin-reds">
          {b.reds.map((u) => (
            <li key={u.unitId} data-red-unit={u.unitId}>
              <strong>{u.unitName}</strong>：{u.indicators.map((i) => `${i.name}（${i.why}）`).join('；')}。
            </li>
          ))}
        </ul>
      ),
    ],
    [
      '未报齐单位',
      b.notReported.length === 0 ? (
        <p>各单位均已按时报齐。</p>
      ) : (
        <ul class="bulletin-missing">
          {b.notReported.map((u) => (
            <li key={u.unitId} data-missing-unit={u.unitId}>
              <strong>{u.unitName}</strong>：未报送 {u.missing.map((m) => m.name).join('、')}。
            </li>
          ))}
        </ul>
      ),
    ],
  ];
  return (
    <article class="bulletin" data-loaded="true">
      <div class="bulletin-tools no-print">
        <Link href={`/cycles/${encodeURIComponent(id)}`}>返回晾晒</Link>
        <button type="button" class="primary" data-print onClick={() => window.print()}>
          打印
        </button>
        <button
          type="button"
          data-bulletin-xlsx
          onClick={() => void download(`${path}/bulletin.xlsx`, `晾晒通报-${b.period}.xlsx`)}
        >
          导出 Excel
        </button>
      </div>
      <header class="bulletin-head">
        <h1>{b.title}</h1>
        <p class="bulletin-sub">
          {b.planTitle}（{b.periodWords}）
        </p>
      </header>
      {sections.map(([heading, body], i) => (
        <section key={heading} class="bulletin-section">
          <h2>
            {SECTION_NUMBERS[i]}、{heading}
          </h2>
          {body}
        </section>
      ))}
      <p class="bulletin-foot">督查室　{shanghaiDay(b.publishedAt)}</p>
    </article>
  );
}
