/** The dashboard's ring of lights, as an ECharts option (pure: no ECharts imported here). */
import type { EChartsCoreOption as ChartOption } from 'echarts/core';
import { LIGHT_LABELS } from './format';

export const LIGHT_COLORS: Record<string, string> = { green: '#2e9d57', yellow: '#e0a100', red: '#d4380d' };

export interface LightCount {
  light: string;
  count: number;
}

/** 绿灯 12 个，黄灯 0 个，红灯 3 个: the chart's text for those who cannot see it. */
export function lightsText(lights: LightCount[]): string {
  return lights.map((l) => `${LIGHT_LABELS[l.light]} ${l.count} 个`).join('，');
}

/**
 * The lights as a ring: only the lights that have items are labelled (an empty slice was labelled
 * too, pointing at nothing); the legend names all three with their counts.
 */
export function lightsPie(lights: LightCount[]): ChartOption {
  const names = Object.fromEntries(lights.map((l) => [LIGHT_LABELS[l.light], l.count]));
  return {
    tooltip: { trigger: 'item' },
    legend: {
      bottom: 0,
      formatter: (name: string) => `${name}（${names[name] ?? 0}）`,
    },
    series: [
      {
        type: 'pie',
        radius: ['40%', '70%'],
        label: { formatter: '{b} {c}' },
        // A light without items stays in the data (so the legend names it, with its 0) but draws
        // no slice and no label.
        data: lights.map((l) => ({
          name: LIGHT_LABELS[l.light],
          value: l.count,
          itemStyle: { color: LIGHT_COLORS[l.light] },
          ...(l.count === 0 ? { label: { show: false }, labelLine: { show: false } } : {}),
        })),
      },
    ],
  };
}
