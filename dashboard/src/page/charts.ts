/// <reference lib="dom" />
import type uPlotType from 'uplot';
import { formatCount, formatMoney, type Locale } from '../shared/format.ts';
import type { SalesSection } from '../shared/types.ts';
import { dayToSeconds, minuteWindow } from '../shared/view.ts';
import { byId, h } from './dom.ts';
import { label, type LabelKey } from './i18n.ts';

/**
 * The two revenue charts (per minute over the last hour, per sales day): uPlot bars; heights are
 * numbers, the legend shows the exact amounts.
 */

type UPlotConstructor = typeof uPlotType;
// uPlot is served from its installed npm package by the dashboard server itself (no CDN).
const uPlotModule = '/vendor/uPlot.esm.js';
const UPlot = ((await import(uPlotModule)) as { default: UPlotConstructor }).default;

type Scale = 'minute' | 'day';
const HEIGHT = 220;
const width = (container: HTMLElement) => Math.max(300, container.clientWidth);

function chartOptions(
  container: HTMLElement,
  exact: () => string[],
  xLabel: Scale,
  locale: Locale,
): uPlotType.Options {
  return {
    width: width(container),
    height: HEIGHT,
    legend: { show: true, live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [
      {
        // The per-day chart: one tick a day at least (no hours between two sales days).
        ...(xLabel === 'day' ? { incrs: [86_400, 7 * 86_400, 30 * 86_400, 365 * 86_400] } : {}),
        values: (_u, splits) => {
          // Sales days spread over years (the client's history, then today's sales): say the year.
          const years = (splits.at(-1) ?? 0) - (splits[0] ?? 0) > 300 * 86_400;
          return splits.map((s) =>
            xLabel === 'minute'
              ? new Date(s * 1000).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
              : new Date(s * 1000).toLocaleDateString(locale, {
                  timeZone: 'UTC',
                  day: '2-digit',
                  month: '2-digit',
                  ...(years ? { year: 'numeric' } : {}),
                }),
          );
        },
      },
      {
        // Wide enough for the longest label (« 3 000 000 € »), never cut on the left.
        size: (_u, values) => 24 + 8 * Math.max(4, ...(values ?? []).map((v) => String(v).length)),
        values: (_u, splits) => splits.map((s) => `${formatCount(s, locale)} €`),
      },
    ],
    series: [
      {
        label: xLabel === 'minute' ? 'minute' : locale === 'fr' ? 'jour' : 'day',
        value: (_u, v) =>
          v === null
            ? '–'
            : xLabel === 'minute'
              ? new Date(v * 1000).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })
              : new Date(v * 1000).toISOString().slice(0, 10),
      },
      {
        label: label('revenue', locale),
        stroke: '#2563eb',
        fill: 'rgba(37, 99, 235, 0.35)',
        paths: UPlot.paths.bars?.({ size: [0.8, 24] }),
        points: { show: false },
        value: (u, _v, _si, idx) => {
          const i = idx ?? u.cursor.idx;
          return i === null || i === undefined ? '–' : formatMoney(exact()[i] ?? '0.00', locale);
        },
      },
    ],
  };
}

/** One chart: created on its first data (in the page's language), then only fed new data. */
class RevenueChart {
  private chart: uPlotType | undefined;
  private exact: string[] = [];
  readonly container: HTMLElement;

  constructor(
    parentId: string,
    caption: LabelKey,
    id: string,
    private readonly scale: Scale,
  ) {
    this.container = h('div', { id, class: 'chart' });
    byId(parentId).append(
      h('figure', { class: 'panel' }, h('figcaption', { i18n: caption }), this.container),
    );
  }

  draw(x: number[], y: number[], exact: string[], locale: Locale): void {
    this.exact = exact;
    const data: uPlotType.AlignedData = [x, y];
    if (!this.chart)
      this.chart = new UPlot(
        chartOptions(this.container, () => this.exact, this.scale, locale),
        data,
        this.container,
      );
    else this.chart.setData(data);
  }

  /** Forgets the chart (the language changed: the next draw builds it again). */
  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }

  resize(): void {
    this.chart?.setSize({ width: width(this.container), height: HEIGHT });
  }
}

export interface Charts {
  /** The minute chart; its window ends at `nowMs` (it moves with the clock even when no sale arrives). */
  drawMinute(sales: SalesSection, nowMs: number, locale: Locale): void;
  drawDay(sales: SalesSection, locale: Locale): void;
  destroy(): void;
  resize(): void;
}

/** Builds the two chart panels into #charts. */
export function createCharts(): Charts {
  const minute = new RevenueChart('charts', 'perMinute', 'chart-minute', 'minute');
  const day = new RevenueChart('charts', 'perDay', 'chart-day', 'day');
  return {
    drawMinute(sales, nowMs, locale) {
      const w = minuteWindow(sales.perMinute, nowMs);
      minute.draw(w.x, w.y, w.revenue, locale);
    },
    drawDay(sales, locale) {
      const days = sales.byDay;
      day.draw(
        days.map((d) => dayToSeconds(d.day)),
        days.map((d) => Number(d.revenue)),
        days.map((d) => d.revenue),
        locale,
      );
    },
    destroy() {
      minute.destroy();
      day.destroy();
    },
    resize() {
      minute.resize();
      day.resize();
    },
  };
}
