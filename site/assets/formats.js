// How the site writes numbers, sizes and times in the browser, as controller/sitegen/formats.py
// writes them for the pages made in Python (a test holds the two to the same answers): for
// train.js, which draws the train pages, and site.js (counts, the performance graphs). Every
// page loads it first.
"use strict";

window.wagonyardFormats = (function () {
  function esc(value) {
    return String(value)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&#34;")
      .replace(/'/g, "&#39;");
  }

  function grouped(n) {
    const sign = n < 0 ? "-" : "";
    const digits = String(Math.abs(Math.trunc(n)));
    return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  // Python's format(value, ".{digits}g")
  function general(value, digits) {
    if (!isFinite(value)) return isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
    if (value === 0) return Object.is(value, -0) ? "-0" : "0";
    const [mantissa, power] = value.toExponential(digits - 1).split("e");
    const exponent = Number(power);
    const strip = function (s) {
      return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
    };
    if (exponent < -4 || exponent >= digits) {
      const e = Math.abs(exponent);
      return strip(mantissa) + "e" + (exponent < 0 ? "-" : "+") + (e < 10 ? "0" + e : e);
    }
    return strip(value.toFixed(Math.max(0, digits - 1 - exponent)));
  }

  function number(value, digits) {
    if (value === null || value === undefined) return "—";
    if (Number.isInteger(value) && Math.abs(value) < 1e15) return grouped(value);
    return general(value, digits || 4);
  }

  function duration(total) {
    if (total === null || total === undefined) return "—";
    const s = Math.max(0, Math.round(total));
    const hours = Math.floor(s / 3600);
    const minutes = Math.floor((s % 3600) / 60);
    const secs = s % 60;
    const two = function (n) { return n < 10 ? "0" + n : String(n); };
    if (hours) return hours + " h " + two(minutes) + " min";
    if (minutes) return minutes + " min " + two(secs) + " s";
    return secs + " s";
  }

  function seconds(value) {
    if (value === null || value === undefined) return "—";
    if (value >= 60) return duration(value);
    if (value >= 1 || value === 0) return general(value, 3) + " s";
    if (value >= 1e-3) return general(value * 1e3, 3) + " ms";
    return general(value * 1e6, 3) + " µs";
  }

  function bytesize(n) {
    if (n === null || n === undefined) return "—";
    let size = n;
    for (const unit of ["B", "kB", "MB", "GB", "TB"]) {
      if (size < 1000 || unit === "TB") {
        return unit === "B" ? Math.trunc(size) + " B" : size.toFixed(1) + " " + unit;
      }
      size /= 1000;
    }
    return n + " B";
  }

  // a time of the record in UTC: '2010-11-05 10:00:00 UTC' (without seconds nor 'UTC': tables)
  function when(moment, withSeconds) {
    if (moment === null || moment === undefined) return "—";
    withSeconds = withSeconds !== false;
    let text = null;
    let zoned = true;
    if (typeof moment === "number" || /^-?\d+(\.\d+)?$/.test(moment)) {
      let seconds = Number(moment);
      if (Math.abs(seconds) > 2e10) seconds /= 1000; // pydantic reads these as milliseconds
      const date = new Date(seconds * 1000);
      if (!isNaN(date)) text = date.toISOString();
    } else {
      const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?)?(.*)$/.exec(moment);
      if (m) {
        const zone = m[4];
        const clock = m[2] || "00:00:00";
        if (zone === "") zoned = false;
        if (zone === "" || zone === "Z" || /^[+-]00:?00$/.test(zone)) {
          text = m[1] + "T" + (clock.length === 5 ? clock + ":00" : clock);
        } else {
          const date = new Date(moment.replace(" ", "T"));
          if (!isNaN(date)) text = date.toISOString();
        }
      }
    }
    if (text === null) return esc(moment); // a time JavaScript cannot read: as stored
    text = text.slice(0, 10) + " " + text.slice(11, 19);
    if (!withSeconds) return text.slice(0, 16);
    return text + (zoned ? " UTC" : "");
  }

  function period(start, end) {
    const first = when(start, false);
    if (end === null || end === undefined) return first + " → …";
    const last = when(end, false);
    return first + " → " + (last.slice(0, 10) === first.slice(0, 10) ? last.slice(11) : last);
  }

  return {
    esc: esc,
    grouped: grouped,
    number: number,
    duration: duration,
    seconds: seconds,
    bytesize: bytesize,
    when: when,
    period: period,
  };
})();
