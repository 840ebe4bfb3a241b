// Converts webR's WebRData trees (RObject.toJs()) into plain JSON-able values for Python.
// Rules: an unnamed atomic vector of length 1 becomes a scalar, other atomic vectors become
// arrays, names turn a vector or list into an object, NA/NaN/Inf become null, NULL is null.

const ATOMIC = new Set(['logical', 'integer', 'double', 'character', 'complex', 'raw']);

function scalar(value, type) {
  if (value === null || value === undefined) return null;
  if (type === 'complex') return `${value.re}${value.im >= 0 ? '+' : ''}${value.im}i`;
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function withNames(values, names) {
  if (!names) return values;
  const out = {};
  values.forEach((v, i) => { out[names[i] ?? String(i + 1)] = v; });
  return out;
}

export function toPlainValue(data) {
  if (data === null || data === undefined) return null;
  if (data.type === 'null') return null;
  if (ATOMIC.has(data.type)) {
    const values = Array.from(data.values ?? [], (v) => scalar(v, data.type));
    if (!data.names && values.length === 1) return values[0];
    return withNames(values, data.names);
  }
  if (data.type === 'list' || data.type === 'pairlist') {
    const values = (data.values ?? []).map(toPlainValue);
    return withNames(values, data.names);
  }
  return `<${data.type}>`;
}
