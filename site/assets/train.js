// wagonyard's train page: draws the train's record (embedded as stored in git, this machine's
// paths hidden) and what the site adds to it (controller/sitegen/traindata.py): the facts,
// the wagons, the resources per wagon, every job and attempt, the histograms, the previous
// train, the files to download. Every text of the record is escaped (esc) before it becomes
// HTML; the pictures are the site's own SVG, escaped where it was drawn. Numbers, sizes and
// times are written as the rest of the site writes them (formats.js: controller/sitegen/formats.py).
"use strict";

(function () {
  // ---------------------------------------------------------------- formats (formats.js)
  const F = window.wagonyardFormats; // formats.js, which every page loads before this script
  const esc = F.esc, grouped = F.grouped, number = F.number;
  const duration = F.duration, seconds = F.seconds, bytesize = F.bytesize;
  const when = F.when, period = F.period;

  function mb(value, signed) {
    if (value === null || value === undefined) return "—";
    return (signed && value >= 0 ? "+" : "") + value.toFixed(1) + " MB";
  }

  function basename(path) {
    const parts = path.replace(/\/+$/, "").split("/");
    return parts[parts.length - 1];
  }

  function fileSlice(s) {
    const name = basename(s.path);
    const start = s.entry_start || 0;
    const stop = s.entry_stop === undefined ? null : s.entry_stop;
    if (start || stop !== null) {
      return name + " [" + grouped(start) + ", " + (stop === null ? "end" : grouped(stop)) + ")";
    }
    return name;
  }

  // Jinja's truncate: cut at the last word break before length
  function truncate(text, length) {
    length = length || 80;
    if (text.length <= length + 5) return text;
    const cut = text.slice(0, length - 3);
    const space = cut.lastIndexOf(" ");
    return (space >= 0 ? cut.slice(0, space) : cut) + "...";
  }

  function files(slices) {
    return (slices || []).map(function (s) { return esc(fileSlice(s)); }).join("<br>");
  }

  // ---------------------------------------------------------------- the page
  function draw(r, d) {
    const links = d.links;
    const badge = function (state) {
      const s = esc(state);
      return '<span class="badge state-' + s + '">' + s + "</span>";
    };
    const shown = function (state) {
      // a job or attempt still pending or running in an ended train was stopped with it
      return d.ended && (state === "pending" || state === "running")
        ? "cancelled"
        : state;
    };
    const wagon = function (ref) {
      const href = links.wagons[ref];
      return href ? '<a href="' + esc(href) + '">' + esc(ref) + "</a>" : esc(ref);
    };
    const commit = function (sha) {
      const code = '<code title="' + esc(sha) + '">' + esc(sha.slice(0, 10)) + "</code>";
      return links.repo ? '<a href="' + esc(links.repo) + "/commit/" + esc(sha) + '">' + code + "</a>" : code;
    };
    const code = function (exitCode) {
      return "<code>" + (exitCode === null || exitCode === undefined ? "—" : esc(exitCode)) + "</code>";
    };
    const host = function (a) {
      let h = esc(a.host || "—");
      if (a.site) h += ' <span class="muted">at ' + esc(a.site) + "</span>";
      return h;
    };
    const table = function (head, rows, cls) {
      return '  <div class="scroll">\n  <table' + (cls ? ' class="' + cls + '"' : "") + ">\n" +
        "    <thead><tr>" + head + "</tr></thead>\n    <tbody>\n" + rows.join("") +
        "    </tbody>\n  </table>\n  </div>\n";
    };
    const jobs = r.jobs || [];
    const out = [];

    // facts
    let trigger = esc(r.trigger || "—");
    // the controller's trigger of a request names it already ("request R (why)")
    if (r.request && !String(r.trigger || "").includes(r.request)) {
      trigger += " (request <code>" + esc(r.request) + "</code>)";
    }
    let jobsDone = d.summary.jobs_done + " of " + jobs.length + " done";
    if (d.summary.jobs_failed) jobsDone += ', <span class="bad">' + d.summary.jobs_failed + " failed</span>";
    if (r.message) out.push('<p class="alert">' + esc(r.message) + "</p>");
    const dataset = links.dataset ? '<a href="' + esc(links.dataset) + '">' + esc(r.dataset) + "</a>" : esc(r.dataset);
    const fact = function (name, value, wide) {
      return "  <div" + (wide ? ' class="wide"' : "") + "><dt>" + name + "</dt><dd>" + value + "</dd></div>\n";
    };
    out.push('<dl class="facts">\n' +
      fact("Dataset", dataset) +
      fact("Catalog commit", commit(r.catalog_commit)) +
      fact("Trigger", trigger) +
      fact("CPU", esc(seconds(d.summary.cpu_s))) +
      fact("Backend", esc(r.backend)) +
      fact("Created", when(r.created)) +
      fact("Finished", when(r.finished)) +
      fact("Turnaround", duration(d.summary.turnaround_s)) +
      fact("Events", number(r.events_processed || 0)) +
      fact("Jobs", jobsDone));
    const o = r.output;
    if (o) {
      const ok = d.output.sha256_ok;
      const verdict = ok === true ? '<span class="badge ok">verified</span>'
        : ok === false ? '<span class="badge state-failed">does not match the file</span>' : "";
      out.push(fact("Output", "<code>" + esc(o.path) + "</code> (" + bytesize(o.bytes) + ", " + number(o.events) + " events)", true) +
        fact("sha256", '<code class="hash">' + esc(o.sha256) + "</code>\n" + verdict, true));
    }
    out.push("</dl>\n");

    // wagons
    out.push("\n<section>\n  <h2>Wagons</h2>\n" + table(
      "<th>Directory</th><th>Wagon</th><th>Variant</th><th>Task</th><th>Config hash</th><th>Role</th>",
      r.wagons.map(function (w) {
        const enabled = w.enabled === undefined ? true : w.enabled;
        const hash = w.config_hash || "";
        return "    <tr>\n      <td><code>" + esc(w.directory) + "</code></td>\n" +
          "      <td>" + wagon(w.ref) + "</td>\n" +
          "      <td>" + esc(w.variant || "—") + "</td>\n" +
          "      <td><code>" + esc(w.task) + "</code></td>\n" +
          '      <td><code title="' + esc(hash) + '">' + esc(hash.slice(0, 12)) + "</code></td>\n" +
          "      <td>" + (enabled ? "enabled" : '<span class="tag">dependency only</span>') + "</td>\n    </tr>\n";
      })) + "</section>\n");

    // resources per wagon
    out.push("\n<section>\n  <h2>Resources per wagon</h2>\n");
    if (!d.usage.length) {
      out.push('  <p class="muted">No usage recorded yet: it is summed when the jobs are merged.</p>\n</section>\n');
    } else {
      const rows = d.usage.map(function (u) {
        const [directory, ref, cpu, events, perEvent, over, pss, rss, bytes] = u;
        const perText = perEvent === null ? "—" : perEvent.toFixed(3) + " ms";
        const overText = over ? ' bad" title="above the dataset\'s limit"' : '"';
        return "    <tr>\n      <td><code>" + esc(directory) + "</code></td>\n" +
          "      <td>" + wagon(ref) + "</td>\n" +
          '      <td class="num">' + esc(seconds(cpu)) + "</td>\n" +
          '      <td class="num">' + number(events) + "</td>\n" +
          '      <td class="num' + overText + ">" + perText + "</td>\n" +
          '      <td class="num">' + mb(pss, true) + "</td>\n" +
          '      <td class="num">' + mb(rss) + "</td>\n" +
          '      <td class="num">' + bytesize(bytes) + "</td>\n    </tr>\n";
      });
      const t = d.totals;
      out.push(table(
        '<th>Directory</th><th>Wagon</th><th class="num">CPU</th><th class="num">Events</th>' +
        '<th class="num">CPU per event</th><th class="num">PSS it adds</th>' +
        '<th class="num">RSS in its test</th><th class="num">Output in the file</th>',
        rows).replace("    </tbody>\n",
        "    </tbody>\n    <tfoot>\n    <tr>\n" +
        '      <th colspan="2">Total (jobs)</th>\n' +
        '      <td class="num">' + esc(seconds(t.cpu_s)) + "</td>\n" +
        '      <td class="num">' + number(r.events_processed || 0) + "</td>\n      <td></td>\n" +
        '      <td class="num">' + mb(t.max_pss_mb) + " max</td>\n" +
        '      <td class="num">' + mb(t.max_rss_mb) + " max</td>\n" +
        '      <td class="num">' + bytesize(o ? o.bytes : null) + "</td>\n    </tr>\n    </tfoot>\n") +
        '  <p class="muted">CPU: the time each wagon\'s own code took in the jobs, summed. The ' +
        "wagons of a job share its process, so memory is measured per wagon in its test: <em>PSS " +
        "it adds</em> is its test's proportional set size over the baseline's (no wagon, same " +
        "files), <em>RSS in its test</em> the resident set size of that test; the total row gives " +
        "the largest PSS and RSS of any job of this train. <em>Output in the file</em>: the bytes " +
        "its directory's objects take in <code>AnalysisResults.root</code>, compressed as " +
        "stored.</p>\n</section>\n");
    }

    // jobs and attempts
    out.push("\n<section>\n  <h2>Jobs</h2>\n");
    if (!jobs.length) {
      out.push('  <p class="muted">This train has no jobs.</p>\n</section>\n');
    } else {
      let attempts = 0;
      const skipped = [];
      const rows = jobs.map(function (j) {
        const tries = j.attempts || [];
        attempts += tries.length;
        const report = j.report || null;
        if (report) for (const s of report.skipped || []) skipped.push(s);
        const codes = tries.map(function (a) { return code(a.exit_code); }).join(", ") || "—";
        let where = "—";
        if (tries.length) where = host(tries[tries.length - 1]);
        let read = files(j.files);
        for (const rd of report ? report.replicas_read || [] : []) {
          const failed = rd.failed || [];
          if (failed.length || rd.read !== rd.path) {
            read += '<br><span class="muted">' + esc(basename(rd.path)) + ": read from " +
              esc(rd.storage_element || rd.read);
            if (failed.length) read += " after " + failed.length + " failed cop" + (failed.length === 1 ? "y" : "ies");
            read += "</span>";
          }
        }
        return "    <tr>\n" +
          '      <td class="num">' + esc(j.index) + "</td>\n" +
          '      <td class="id">' + esc(j.name) + "</td>\n" +
          "      <td>" + badge(shown(j.state || "pending")) + "</td>\n" +
          '      <td class="num">' + tries.length + "</td>\n" +
          "      <td>" + codes + "</td>\n" +
          "      <td>" + where + "</td>\n" +
          '      <td class="num">' + number(report ? report.events : null) + "</td>\n" +
          '      <td class="files">' + read + "</td>\n    </tr>\n";
      });
      const every = [];
      for (const j of jobs) {
        for (const a of j.attempts || []) {
          let log = "—";
          if (a.log_tail) {
            const lines = a.log_tail.trim().split(/\r\n|\r|\n/);
            log = "<details><summary>" + esc(truncate(lines.length ? lines[lines.length - 1] : "")) +
              "</summary><pre>" + esc(a.log_tail) + "</pre></details>";
          }
          every.push("      <tr>\n" +
            '        <td class="id">' + esc(j.name) + "</td>\n" +
            '        <td class="num">' + esc(a.number) + "</td>\n" +
            '        <td class="num">' + esc(a.round || 0) + "</td>\n" +
            "        <td>" + badge(shown(a.state)) + "</td>\n" +
            "        <td>" + code(a.exit_code) + "</td>\n" +
            "        <td>" + host(a) + "</td>\n" +
            '        <td class="time">' + (a.started ? period(a.started, a.finished) : "—") + "</td>\n" +
            "        <td>" + log + "</td>\n      </tr>\n");
        }
      }
      out.push(table(
        '<th class="num">#</th><th>Job</th><th>State</th><th class="num">Attempts</th>' +
        "<th>Exit codes</th><th>Host</th><th class=\"num\">Events</th><th>Files</th>", rows, "jobs") +
        '  <details class="attempts">\n    <summary>Every attempt (' + attempts +
        "): state, exit code, host, times, log</summary>\n" +
        table("<th>Job</th><th class=\"num\">Attempt</th><th class=\"num\">Round</th>" +
          "<th>State</th><th>Exit code</th><th>Host</th><th>Started → ended (UTC)</th><th>Log tail</th>",
          every) + "  </details>\n");
      if (skipped.length) {
        out.push("  <h3>Skipped files</h3>\n" + table(
          '<th>File</th><th>Why</th><th class="num">Events</th>',
          skipped.map(function (s) {
            return "    <tr><td><code>" + esc(s.path) + "</code></td><td>" + esc(s.reason) +
              '</td><td class="num">' + number(s.events === undefined ? null : s.events) + "</td></tr>\n";
          })));
      }
      out.push("</section>\n");
    }

    // locality relaxed, jobs dropped, merges: only when there is something to say
    if (r.locality_relaxed_at && d.locality_moved) {
      out.push("\n<section>\n  <h2>Locality relaxed</h2>\n  <p>At " +
        esc(when(r.locality_relaxed_at).replace(/ UTC$/, "")) + " UTC enough jobs were done that " +
        "the jobs still waiting for their own storage element's site were let run anywhere: " +
        d.locality_moved + " attempt(s) moved; they show as <em>moved</em> among the attempts.</p>\n</section>\n");
    }
    const dropped = r.dropped || [];
    if (dropped.length) {
      out.push("\n<section>\n  <h2>Dropped by the " + esc(r.policy || "slow") + " policy</h2>\n" +
        "  <p>" + dropped.length + " job(s) were still running far longer than typical once the " +
        "others were done; the train stopped waiting for them. <strong>" +
        (100 * (r.events_lost_fraction || 0)).toFixed(2) + " % of the events</strong> are not in the output.</p>\n" +
        table('<th>Job</th><th class="num">Events</th><th>Files</th>', dropped.map(function (j) {
          return '    <tr><td class="id">' + esc(j.name) + '</td><td class="num">' +
            number(j.events === undefined ? null : j.events) + '</td><td class="files">' + files(j.files) + "</td></tr>\n";
        })) + "</section>\n");
    }
    const merges = r.merges || [];
    if (merges.length) {
      out.push("\n<section>\n  <h2>Merges</h2>\n" + table(
        "<th>Merge</th><th>Stage</th><th>State</th><th class=\"num\">Attempts</th>" +
        '<th class="num">Inputs</th><th class="num">Events</th>',
        merges.map(function (m) {
          return '    <tr><td class="id">' + esc(m.name) + "</td><td>" + esc(m.stage) + "</td>" +
            "<td>" + badge(m.state || "pending") + '</td><td class="num">' + (m.attempts || []).length +
            '</td><td class="num">' + (m.inputs || []).length + '</td><td class="num">' +
            number(m.events || 0) + "</td></tr>\n";
        })) + "</section>\n");
    }

    // histograms, variants
    out.push("\n<section>\n  <h2>Histograms</h2>\n");
    const output = d.output;
    if (output.problem) {
      out.push('  <p class="alert">' + esc(output.problem) + "</p>\n</section>\n");
    } else {
      out.push('  <div class="outputs">\n');
      for (const [directory, histograms] of output.wagons) {
        out.push('    <section class="wagon-output" id="dir-' + esc(directory.replace(/\//g, "-")) + '">\n' +
          "      <h3><code>" + esc(directory || "/") + "</code></h3>\n      <div class=\"plots\">\n");
        for (const h of histograms) {
          let caption = "            <strong>" + esc(h.name) + "</strong>\n" +
            "            <span>entries " + number(h.entries) + "</span>\n";
          if ("mean" in h) {
            caption += "            <span>mean " + number(h.mean) + "</span>\n";
            if (h.std !== null) caption += "<span>std dev " + number(h.std) + "</span>";
            if (h.underflow || h.overflow) {
              caption += '<span class="muted">underflow ' + number(h.underflow) + ", overflow " + number(h.overflow) + "</span>";
            }
          } else {
            caption += "            <span>mean x " + number(h.mean_x) + "</span>\n" +
              "            <span>mean y " + number(h.mean_y) + "</span>\n";
          }
          out.push('        <figure class="plot-card">\n          ' + h.svg + "\n          <figcaption>\n" +
            caption + "          </figcaption>\n        </figure>\n");
        }
        out.push("      </div>\n    </section>\n");
      }
      if (!output.wagons.length) out.push('    <p class="muted">The output file holds no histograms.</p>\n');
      out.push("  </div>\n");
      if (d.no_histograms.length) {
        out.push('  <p class="muted">These wagons wrote no histograms (service wagons only add columns): ' +
          d.no_histograms.map(function (x) { return "<code>" + esc(x) + "</code>"; }).join(", ") + ".</p>\n");
      }
      if (output.provenance) {
        out.push('  <details class="log">\n    <summary>Provenance stored in the file</summary>\n' +
          "    <pre>" + esc(output.provenance) + "</pre>\n  </details>\n");
      }
      out.push("</section>\n");
    }
    if (d.variants.length) {
      out.push('\n<section id="variants">\n  <h2>Variants side by side</h2>\n');
      for (const [ref, rows] of d.variants) {
        out.push("  <h3>" + wagon(ref) + "</h3>\n");
        for (const [name, cells] of rows) {
          out.push('  <div class="plots variants">\n');
          for (const [directory, picture, entries] of cells) {
            out.push('    <figure class="plot-card">' +
              (picture || '<p class="muted">no ' + esc(name) + "</p>") + "<figcaption><code>" +
              esc(directory) + "</code>" + (picture ? " · entries " + number(entries) : "") +
              "</figcaption></figure>\n");
          }
          out.push("  </div>\n");
        }
      }
      out.push("</section>\n");
    }

    // the previous train on the dataset
    const ds = esc(r.dataset);
    out.push('\n<section id="previous">\n  <h2>Compared with the previous train on ' + ds + "</h2>\n");
    const prev = d.previous;
    if (!prev) {
      out.push('  <p class="muted">This is the first train done on ' + ds + ".</p>\n</section>\n");
    } else {
      const name = links.previous ? '<a href="' + esc(links.previous) + '">' + esc(prev.train_id) + "</a>" : esc(prev.train_id);
      const other = prev.catalog_commit !== r.catalog_commit ? ", catalog " + commit(prev.catalog_commit) : "";
      out.push("  <p>" + name + " (" + when(prev.created, false) + " UTC, " + number(prev.events_processed) +
        " events" + other + ").</p>\n");
      if (!d.comparison.length) {
        out.push('  <p class="muted">The histograms cannot be compared: one of the two outputs is not readable here.</p>\n</section>\n');
      } else {
        out.push(table(
          '<th>Directory</th><th>Histogram</th><th class="num">Entries</th><th class="num">Before</th>' +
          '<th class="num">Mean</th><th class="num">Before</th>',
          d.comparison.map(function (c) {
            const [directory, histogram, entries, beforeEntries, mean, beforeMean] = c;
            const changed = beforeEntries === null || beforeEntries !== entries;
            return "    <tr" + (changed ? ' class="changed"' : "") + ">\n" +
              "      <td><code>" + esc(directory) + "</code></td><td>" + esc(histogram) + "</td>\n" +
              '      <td class="num">' + number(entries) + '</td><td class="num">' +
              (beforeEntries === null ? "new" : number(beforeEntries)) + "</td>\n" +
              '      <td class="num">' + number(mean) + '</td><td class="num">' + number(beforeMean) + "</td>\n    </tr>\n";
          })) + "</section>\n");
      }
    }

    // files to download
    out.push('\n<section id="downloads">\n  <h2>Files</h2>\n  <ul>\n');
    for (const [label, what, path] of d.downloads) {
      out.push('    <li><a href="' + esc(path ? d.root + path : "#") + '" download="' + esc(label) + '" data-file="' +
        esc(label) + '">' + esc(label) + "</a>: " + esc(what) + "</li>\n");
    }
    out.push("  </ul>\n");
    const url = o ? o.url || null : null;
    if (url && url.includes("://")) {
      out.push("  <p>On the output storage element, checksum verified after the copy: " +
        '<code class="storage-url">' + esc(url) + "</code> (<code>xrdcp " + esc(url) + " .</code>)</p>\n");
    }
    out.push("</section>\n");
    return out.join("");
  }

  // the files written into the page (the record, the input list, the commands): offered as
  // data: URLs, which a static host and file:// both serve
  function offer(container, recordText, d) {
    for (const [label, , path, text] of d.downloads) {
      if (path) continue;
      const body = text === null ? recordText : text;
      const link = container.querySelector('a[data-file="' + CSS.escape(label) + '"]');
      if (link) link.href = "data:text/plain;charset=utf-8," + encodeURIComponent(body);
    }
  }

  function start() {
    const container = document.getElementById("train-page");
    const recordNode = document.getElementById("train-record");
    const dataNode = document.getElementById("train-data");
    if (!container || !recordNode || !dataNode) return;
    const recordText = recordNode.textContent;
    const record = JSON.parse(recordText);
    // the record as stored: the page wrote each '<' as \u003c (traindata.script_json)
    const stored = recordText.replace(/(\\*)\\u003c/g, function (m, slashes) {
      return slashes.length % 2 === 0 ? slashes + "<" : m;
    });
    const data = JSON.parse(dataNode.textContent);
    container.innerHTML = draw(record, data);
    offer(container, stored, data);
  }

  // the formats, for the test that holds them to formats.py's
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
