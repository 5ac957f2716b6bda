// The recharts parts the desk's chart uses, named so that the bundler keeps only these
// (a dynamic import of "recharts" itself would fetch the whole library).
export { Bar, BarChart, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
