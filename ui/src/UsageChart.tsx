import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

export interface Series {
  label: string;
  values: (number | null)[];
}

const COLORS = ['#1f5fbf', '#d9730d', '#2e8b57', '#9b3fbf', '#c0392b', '#16869c', '#7a6f00'];

/** A line chart of daily values with uPlot (canvas), sized to its container. */
export function UsageChart({
  days,
  series,
  label,
}: {
  /** UTC days (`YYYY-MM-DD`), the x axis. */
  days: string[];
  series: Series[];
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = box.current;
    if (element === null) return undefined;
    const xs = days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
    const options: uPlot.Options = {
      width: Math.max(300, element.clientWidth),
      height: 240,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true } },
      axes: [{}, { label: 'per day', size: 60 }],
      legend: { live: false },
      series: [
        { label: 'day' },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length] ?? '#1f5fbf',
          width: 2,
          points: { show: days.length <= 45 },
        })),
      ],
    };
    const data: uPlot.AlignedData = [xs, ...series.map((s) => s.values)];
    const plot = new uPlot(options, data, element);
    const observer = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(300, element.clientWidth), height: 240 });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [days, series]);

  return <div ref={box} className="chart" role="img" aria-label={label} />;
}
