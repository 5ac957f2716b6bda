// The desk's crossings-per-day chart. recharts (the parts desk_chart_parts.js names) is
// fetched once the chart is mounted, after the desk's first paint, so no other page and not
// the desk's first paint pay for it; until then a box of the chart's height keeps the layout.
import React, { useEffect, useState } from "react";

const COLOURS = ["#0d9488", "#f59e0b", "#6366f1"];
let loading = null;

export function DeskChart({ data, series, height }) {
  const [lib, setLib] = useState(null);
  useEffect(() => {
    let live = true;
    loading = loading || import("./desk_chart_parts.js");
    loading.then((mod) => live && setLib(mod));
    return () => {
      live = false;
    };
  }, []);
  if (!lib) return <div style={{ height }} aria-hidden="true" />;
  const { ResponsiveContainer, BarChart, Bar, XAxis, YAxis, Tooltip, Legend } = lib;
  return (
    <ResponsiveContainer width="100%" height={height}>
      <BarChart data={data}>
        {(series || []).map((code, i) => (
          <Bar
            key={code}
            dataKey={code}
            stackId="points"
            fill={COLOURS[Math.min(i, COLOURS.length - 1)]}
          />
        ))}
        <XAxis dataKey="day" />
        <YAxis allowDecimals={false} />
        <Tooltip />
        <Legend />
      </BarChart>
    </ResponsiveContainer>
  );
}
