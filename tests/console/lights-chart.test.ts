/**
 * The dashboard's ring of lights drawn by ECharts itself (its server-side SVG renderer): a light
 * with no items has no label pointing at nothing; the legend still names it, with its 0.
 */
import * as echarts from 'echarts';
import { describe, expect, it } from 'vitest';
import { lightsPie, lightsText } from '../../console/src/lights-chart';

/** The texts drawn that name a light: the slices' labels (绿灯 14) and the legend's (绿灯（14）). */
function draw(lights: Array<{ light: string; count: number }>): string[] {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 400, height: 300 });
  chart.setOption({ ...lightsPie(lights), animation: false });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return [...svg.matchAll(/>([^<>]*灯[^<>]*)</g)].map((m) => m[1]!);
}

describe('lightsPie', () => {
  it('labels only the lights that have items', () => {
    const texts = draw([
      { light: 'green', count: 14 },
      { light: 'yellow', count: 0 },
      { light: 'red', count: 3 },
    ]);
    // Everything named on the canvas: two slice labels, three legend entries, nothing else.
    expect(texts.sort()).toEqual(['红灯 3', '红灯（3）', '绿灯 14', '绿灯（14）', '黄灯（0）'].sort());
  });

  it('labels every light when all have items, and says the counts in words', () => {
    const lights = [
      { light: 'green', count: 5 },
      { light: 'yellow', count: 2 },
      { light: 'red', count: 1 },
    ];
    expect(draw(lights).filter((t) => t.includes(' '))).toEqual(['绿灯 5', '黄灯 2', '红灯 1']);
    expect(lightsText(lights)).toBe('绿灯 5 个，黄灯 2 个，红灯 1 个');
  });
});
