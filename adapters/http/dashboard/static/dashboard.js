// The operations dashboard: signs in with the platform's own tokens, reads the
// reports API (GET /reports/{name}) and draws each report as a chart with its
// figures in a table. No inline script, nothing from another host (see the
// Content-Security-Policy the service sends with the page).
"use strict";

(() => {
  const SESSION_KEY = "spotlight.dashboard.session";
  const ALLOWED_ROLES = ["ADMIN", "COMMUNITY_LEADER"];
  const COLOURS = ["#1f77b4", "#e8833a", "#2ca02c", "#9467bd", "#d62728", "#17becf",
    "#8c564b", "#bcbd22"];
  const WEEKS_SHOWN = 12;
  const LABEL_LENGTH = 22;

  // One chart per report: which column labels the bars, which gives the values and,
  // when a report has one row per (label, series), which column names the series.
  const CHARTS = [
    {
      report: "candidate-funnel", title: "Candidate funnel", live: false,
      label: "step", value: "candidates", valueLabel: "Candidates",
      horizontal: true,
      summary: (rows) => {
        const first = rows[0], last = rows[rows.length - 1];
        if (!first || !first.candidates) return "No candidates signed up in this period.";
        const step = (row) => String(row.step).replaceAll("-", " ");
        return `${first.candidates} ${step(first)}, ${last.candidates} ${step(last)}.`;
      },
    },
    {
      report: "matches", title: "Matches per week", live: false,
      label: "period", series: "kind", value: "matches",
      summary: (rows) => {
        const byKind = totals(rows, "kind", "matches");
        const parts = Object.entries(byKind).map(([k, n]) => `${n} ${k}`);
        return parts.length ? `${sum(rows, "matches")} matches: ${parts.join(", ")}.`
          : "No matches in this period.";
      },
    },
    {
      report: "waiting-queues", title: "Waiting queues", live: true,
      label: "queue", value: "waiting", valueLabel: "Waiting",
      summary: (rows) => `${sum(rows, "waiting")} waiting now, in ${rows.length} queues.`,
    },
    {
      report: "offerings-by-region", title: "Offerings per region", live: false,
      label: "region", series: "category", value: "offerings", stacked: true,
      summary: (rows) => {
        const regions = new Set(rows.map((r) => r.region)).size;
        return `${sum(rows, "offerings")} offerings in ${regions} regions.`;
      },
    },
    {
      report: "projection-lag", title: "Projection lag", live: true,
      label: "projection", value: "lag_events", valueLabel: "Events behind",
      horizontal: true,
      summary: (rows) => {
        if (!rows.length) return "No projections.";
        const failed = rows.filter((r) => r.state === "FAILED").map((r) => r.projection);
        if (failed.length) return `Stopped on an event: ${failed.join(", ")}.`;
        const worst = rows.reduce((a, b) => (b.lag_events > a.lag_events ? b : a));
        return worst.lag_events > 0
          ? `Furthest behind: ${worst.projection}, ${worst.lag_events} events.`
          : `All ${rows.length} projections are up to date.`;
      },
    },
  ];

  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const charts = new Map(); // report name -> Chart

  // -- the session (this tab only) --------------------------------------------------

  function session() {
    try {
      return JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    } catch (_) {
      return null;
    }
  }

  function keep(tokens, who) {
    const value = {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      roles: tokens.roles || [],
      who: who || (session() || {}).who || "",
    };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
    return value;
  }

  function forget() {
    sessionStorage.removeItem(SESSION_KEY);
  }

  // -- talking to the API -------------------------------------------------------------

  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  async function problemOf(response) {
    let text = `${response.status} ${response.statusText}`.trim();
    try {
      const doc = await response.json();
      const detail = doc.detail || (doc.errors || []).map((e) => e.reason).join("; ");
      text = [doc.title, detail].filter(Boolean).join(": ") || text;
    } catch (_) { /* not JSON: the status line says enough */ }
    return new ApiError(text, response.status);
  }

  async function send(path, options) {
    let response;
    try {
      response = await fetch(path, { credentials: "omit", ...options });
    } catch (_) {
      throw new ApiError("The service cannot be reached. Check your connection and try again.", 0);
    }
    if (!response.ok) throw await problemOf(response);
    return response.status === 204 ? null : response.json();
  }

  function postJson(path, value) {
    return send(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(value),
    });
  }

  async function authorised(path) {
    const current = session();
    if (!current) throw new ApiError("Not signed in.", 401);
    const get = (token) => send(path, { headers: { Authorization: `Bearer ${token}` } });
    try {
      return await get(current.access_token);
    } catch (error) {
      if (error.status !== 401 || !current.refresh_token) throw error;
    }
    // The access token expired: the refresh token gets the next one, once.
    let renewed;
    try {
      renewed = keep(await postJson("/auth/refresh", { refresh_token: current.refresh_token }));
    } catch (_) {
      forget();
      show("sign-in");
      throw new ApiError("Your sign-in has expired: please sign in again.", 401);
    }
    return get(renewed.access_token);
  }

  // -- signing in ----------------------------------------------------------------------

  function nonce() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function signInWithDevIssuer(email) {
    const sent = nonce();
    const issued = await postJson("/dev-issuer/token", { email, nonce: sent });
    return postJson("/auth/sign-in", { id_token: issued.id_token, nonce: sent });
  }

  function signInWithIdToken(idToken, sentNonce) {
    return postJson("/auth/sign-in", { id_token: idToken, nonce: sentNonce });
  }

  function onSignInForm(form, signIn, who) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      hideProblem();
      status("Signing in…");
      try {
        keep(await signIn(), who());
        form.reset();
        start();
      } catch (error) {
        status("");
        showProblem(`Sign-in failed: ${error.message}`);
      } finally {
        button.disabled = false;
      }
    });
  }

  async function signOut() {
    const current = session();
    forget();
    charts.forEach((chart) => chart.destroy());
    charts.clear();
    $("charts").replaceChildren();  // nothing of this user's stays on the page
    if (current && current.refresh_token) {
      try {
        await postJson("/auth/sign-out", { refresh_token: current.refresh_token });
      } catch (_) { /* signed out here anyway */ }
    }
    start();
  }

  // -- what the page shows ----------------------------------------------------------------

  function show(which) {
    for (const id of ["sign-in", "not-allowed", "dashboard"]) $(id).hidden = id !== which;
    const current = session();
    $("who").hidden = !current;
    $("who-name").textContent = current
      ? [current.who, `(${current.roles.join(", ") || "no role"})`].filter(Boolean).join(" ")
      : "";
  }

  function status(text) {
    $("status").textContent = text;
  }

  function showProblem(text) {
    $("problem").textContent = text;
    $("problem").hidden = false;
  }

  function hideProblem() {
    $("problem").hidden = true;
    $("problem").textContent = "";
  }

  function start() {
    const current = session();
    if (!current) {
      status("");
      show("sign-in");
      return;
    }
    if (!current.roles.some((role) => ALLOWED_ROLES.includes(role))) {
      status("");
      show("not-allowed");
      return;
    }
    show("dashboard");
    loadAll();
  }

  // -- the reports --------------------------------------------------------------------

  function isoDay(date) {
    return date.toISOString().slice(0, 10);
  }

  function defaultPeriod() {
    const to = new Date();
    // Twelve weeks, today included (as the reports API's own default).
    const from = new Date(to.getTime() - (WEEKS_SHOWN * 7 - 1) * 86400000);
    if (!$("from").value) $("from").value = isoDay(from);
    if (!$("to").value) $("to").value = isoDay(to);
  }

  function figure(spec) {
    let element = document.querySelector(`figure[data-report="${spec.report}"]`);
    if (element) return element;
    element = $("chart-template").content.firstElementChild.cloneNode(true);
    element.dataset.report = spec.report;
    element.id = `chart-${spec.report}`;
    element.querySelector(".title").textContent = spec.title;
    element.querySelector("caption").textContent = `${spec.title}: the figures`;
    element.querySelector("canvas").setAttribute("aria-label", `${spec.title} (chart)`);
    $("charts").appendChild(element);
    return element;
  }

  async function loadAll() {
    defaultPeriod();
    hideProblem();
    const missing = typeof window.Chart === "undefined";
    $("chart-missing").hidden = !missing;
    status("Loading the reports…");
    let readable;
    try {
      // The reports this user may read: the others are not asked for.
      const catalogue = await authorised("/reports");
      const reports = Array.isArray(catalogue) ? catalogue : catalogue.reports || [];
      readable = new Set(reports.map((report) => report.name));
    } catch (error) {
      status("");
      showProblem(`The reports could not be listed: ${error.message}`);
      return;
    }
    const results = await Promise.all(CHARTS.map((spec) => (readable.has(spec.report)
      ? load(spec, missing) : unavailable(spec))));
    const failed = results.filter((ok) => !ok).length;
    status(failed ? `${failed} of ${CHARTS.length} reports could not be shown.`
      : `Updated ${new Date().toLocaleTimeString()}.`);
  }

  function unavailable(spec) {
    const element = figure(spec);
    element.dataset.state = "unavailable";
    element.querySelector(".summary").textContent = "Not available to your role.";
    element.querySelector("table").hidden = true;
    return true;
  }

  async function load(spec, chartMissing) {
    const element = figure(spec);
    element.dataset.state = "loading";
    element.setAttribute("aria-busy", "true");
    const params = new URLSearchParams();
    if (!spec.live) {
      params.set("from", $("from").value);
      params.set("to", $("to").value);
    }
    const query = params.toString();
    try {
      const report = await authorised(`/reports/${spec.report}${query ? `?${query}` : ""}`);
      element.querySelector("table").hidden = false;
      fillTable(element, report);
      element.querySelector(".summary").textContent = spec.summary(report.rows);
      element.querySelector(".figure-problem").hidden = true;
      if (!chartMissing) draw(spec, element, report.rows);
      element.dataset.rendered = chartMissing ? "table" : "chart";
      element.dataset.state = "ready";
      return true;
    } catch (error) {
      const problem = element.querySelector(".figure-problem");
      problem.textContent = error.status === 403
        ? `Not allowed: ${error.message}` : `This report could not be loaded: ${error.message}`;
      problem.hidden = false;
      element.dataset.state = "error";
      return false;
    } finally {
      element.removeAttribute("aria-busy");
    }
  }

  // Columns shown as a percentage of the step before (a share from 0 to 1).
  const SHARES = new Set(["conversion"]);

  function display(value, column) {
    if (value === null || value === undefined) return "–";
    if (SHARES.has(column) && typeof value === "number") return `${Math.round(value * 100)} %`;
    if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(2);
    return String(value);
  }

  function fillTable(element, report) {
    const head = element.querySelector("thead tr");
    const rows = element.querySelector("tbody");
    head.replaceChildren(...report.columns.map((column) => {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = column.replaceAll("_", " ");
      th.dataset.column = column;
      return th;
    }));
    rows.replaceChildren(...report.rows.map((row) => {
      const tr = document.createElement("tr");
      for (const column of report.columns) {
        const td = document.createElement("td");
        td.textContent = display(row[column], column);
        td.dataset.column = column;
        td.dataset.value = JSON.stringify(row[column] ?? null);
        if (typeof row[column] === "number") td.className = "number";
        tr.appendChild(td);
      }
      return tr;
    }));
    if (!report.rows.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = report.columns.length || 1;
      td.textContent = "No figures for this period.";
      tr.appendChild(td);
      rows.appendChild(tr);
    }
  }

  // Bars per label; one dataset per series (or one in all).
  function datasets(spec, rows) {
    const labels = [...new Set(rows.map((r) => display(r[spec.label])))];
    const names = spec.series
      ? [...new Set(rows.map((r) => display(r[spec.series])))] : [spec.valueLabel];
    const sets = names.map((name, i) => ({
      label: name,
      data: labels.map(() => 0),
      backgroundColor: COLOURS[i % COLOURS.length],
      borderColor: COLOURS[i % COLOURS.length],
    }));
    for (const row of rows) {
      const set = spec.series ? names.indexOf(display(row[spec.series])) : 0;
      sets[set].data[labels.indexOf(display(row[spec.label]))] += Number(row[spec.value]) || 0;
    }
    return { labels, datasets: sets };
  }

  function draw(spec, element, rows) {
    const previous = charts.get(spec.report);
    if (previous) previous.destroy();
    const data = datasets(spec, rows);
    // A horizontal chart grows with its bars, so that every label shows.
    if (spec.horizontal) {
      element.querySelector(".canvas-box").style.height =
        `${Math.max(220, 60 + 22 * data.labels.length)}px`;
    }
    const valueAxis = { beginAtZero: true, stacked: Boolean(spec.stacked), ticks: { precision: 0 } };
    const labelAxis = {
      stacked: Boolean(spec.stacked),
      ticks: {
        autoSkip: !spec.horizontal,
        // Long names are cut on the chart; the table beneath has them whole.
        callback(value) {
          const label = String(this.getLabelForValue(value));
          return label.length > LABEL_LENGTH ? `${label.slice(0, LABEL_LENGTH - 1)}…` : label;
        },
      },
    };
    const chart = new window.Chart(element.querySelector("canvas"), {
      type: "bar",
      data,
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: data.datasets.length > 1, position: "bottom" } },
        scales: spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
      },
    });
    charts.set(spec.report, chart);
  }

  // -- wiring -------------------------------------------------------------------------

  function sum(rows, column) {
    return rows.reduce((n, r) => n + (Number(r[column]) || 0), 0);
  }

  function totals(rows, by, column) {
    const out = {};
    for (const row of rows) out[row[by]] = (out[row[by]] || 0) + (Number(row[column]) || 0);
    return out;
  }

  function init() {
    const devIssuer = body.dataset.devIssuer === "true";
    $("dev-sign-in").hidden = !devIssuer;
    $("token-sign-in").hidden = devIssuer;
    onSignInForm($("dev-sign-in"), () => signInWithDevIssuer($("dev-email").value.trim()),
      () => $("dev-email").value.trim());
    onSignInForm($("token-sign-in"),
      () => signInWithIdToken($("id-token").value.trim(), $("nonce").value.trim()),
      () => "");
    $("sign-out").addEventListener("click", signOut);
    $("period").addEventListener("submit", (event) => {
      event.preventDefault();
      loadAll();
    });
    window.addEventListener("unhandledrejection", (event) => {
      showProblem(`Something went wrong: ${event.reason && event.reason.message}`);
    });
    start();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
