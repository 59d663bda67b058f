/** ECharts, only the parts the dashboard draws; loaded on the dashboard only (a separate chunk). */
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

export function drawChart(el: HTMLElement, option: ChartOption, onClick?: (name: string) => void): () => void {
  const chart = echarts.init(el, undefined, { renderer: 'canvas' });
  chart.setOption(option);
  if (onClick) chart.on('click', (p) => onClick(String((p as { name?: unknown }).name ?? '')));
  const resize = () => chart.resize();
  window.addEventListener('resize', resize);
  return () => {
    window.removeEventListener('resize', resize);
    chart.dispose();
  };
}
