/* The counter / caseworker console: keyboard-first matching, near-misses, the regional
 * demand directory, and a printable recommendation slip for the chosen courses. */
(function () {
  "use strict";
  const SM = window.SM;
  const $ = SM.$;
  const h = SM.h;
  const TIER_ORDER = { very_short: 0, short: 1, general: 2 };
  const DEMAND_ROWS = 12;
  const LEVEL_SHORT = { 5: "五级", 4: "四级", 3: "三级", 2: "二级", 1: "一级" };

  const form = $("profile-form");
  const picker = new SM.RegionPicker($("province"), $("city"), $("county"), { wholeCity: "全市" });
  picker.onerror = () => {
    const box = $("err-region_code");
    box.textContent = "地区列表暂时无法加载，可改用“输入地址”。";
    box.hidden = false;
  };
  SM.regionModes(form);
  const updateCount = SM.counter($("text"), $("text-count"));

  const canRefer = $("console-layout").dataset.canRefer === "1";
  let results = [];
  const chosen = []; // course ids, in the order chosen
  let matched = null; // the payload the results were matched for
  let matchedRegion = ""; // the region the service matched for (also from a typed address)

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    search();
  });

  // Enter submits from any control (Shift+Enter is a new line in the statement).
  form.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || ev.isComposing || ev.keyCode === 229) return;
    const t = ev.target;
    if (t.tagName === "BUTTON") return;
    if (t.tagName === "TEXTAREA" && ev.shiftKey) return;
    ev.preventDefault();
    form.requestSubmit();
  });

  document.addEventListener("keydown", (ev) => {
    const t = ev.target;
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName) && !["checkbox", "radio"].includes(t.type);
    if (ev.key === "Escape") {
      $("group").focus();
      return;
    }
    if (ev.altKey && !ev.ctrlKey && !ev.metaKey) {
      const key = ev.code;
      if (/^Digit[1-9]$/.test(key)) {
        ev.preventDefault();
        toggle(Number(key.slice(5)) - 1);
      } else if (key === "KeyP") {
        ev.preventDefault();
        openSlip();
      } else if (key === "KeyN") {
        ev.preventDefault();
        nextPerson();
      }
      return;
    }
    if (!typing && !ev.ctrlKey && !ev.metaKey && /^[1-9]$/.test(ev.key)) {
      ev.preventDefault();
      toggle(Number(ev.key) - 1);
    }
  });

  async function search() {
    SM.clearErrors(form);
    const { payload, errors } = SM.readProfile(form, picker);
    if (errors.length) {
      SM.showErrors(form, errors, "");
      return;
    }
    const button = $("submit");
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    $("status").textContent = "正在查询…";
    try {
      const data = await SM.api("POST", "/api/v1/match?explain=true", { ...payload, limit: 10 });
      matched = { ...payload, limit: 10 };
      render(data);
      loadDemand(data.region && data.region.code, (data.occupations || []).map((o) => o.code));
    } catch (e) {
      failure(e);
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  }

  function failure(e) {
    if (e.kind === "api" && e.fields.length) {
      $("status").textContent = "请按提示修改后再查询。";
      SM.showErrors(form, e.fields, e.message);
      return;
    }
    $("status").textContent = e.message;
    const empty = $("empty");
    empty.className = "notice notice-error";
    empty.replaceChildren(
      h("p", {}, e.kind === "starting" ? "服务正在启动，正在载入课程目录，通常不超过一分钟。" : e.message),
      h("button", { type: "button", class: "btn btn-secondary", onclick: search }, "重试"),
    );
    empty.hidden = false;
  }

  function render(data) {
    results = data.results || [];
    matchedRegion = (data.region && data.region.code) || "";
    chosen.length = 0;
    const where = data.region && data.region.name ? data.region.name : "";
    const occs = (data.occupations || []).slice(0, 6);
    $("occupation-chips").replaceChildren(
      ...occs.map((o) => h("li", { class: "chip", title: o.code }, o.name)),
    );
    $("occupations").hidden = occs.length === 0;
    $("rows").replaceChildren(...results.map(row));
    const empty = $("empty");
    if (results.length) {
      $("status").textContent = "按" + where + "找到 " + results.length + " 门课程。按数字键选择要推荐的课程。";
      empty.hidden = true;
    } else {
      $("status").textContent = "按" + where + "没有找到合适的课程。";
      empty.className = "notice";
      empty.replaceChildren(
        h("p", {}, "可以：勾选“愿意去外地培训或就业”或“只能参加线上培训”；换个说法描述经历；看看下方未入选课程的原因。"),
      );
      empty.hidden = false;
    }
    renderNear(data.excluded || []);
    updateChosen();
    $("results-title").focus();
  }

  function row(r, i) {
    const id = "pick-" + i;
    const box = h("input", { type: "checkbox", id, class: "pick-box", "data-course": r.course_id });
    box.addEventListener("change", () => toggle(i, box.checked));
    const key = i < 9 ? h("kbd", { "aria-hidden": "true" }, String(i + 1)) : null;
    const occ = r.occupation || {};
    const s = r.next_session;
    const line = (label, text) => (text ? h("p", { class: "row-line" }, h("span", { class: "row-key" }, label), text) : null);
    const money = h(
      "p",
      { class: "row-money" },
      "补贴 " + SM.yuan(r.subsidy && r.subsidy.amount),
      h("br"),
      "自付 " + SM.yuan(r.out_of_pocket),
    );
    const when = s
      ? SM.date(s.start_date) + " 开班 · " + ((r.hours && r.hours.total) || "—") + " 学时 · 报名截止 " +
        SM.date(s.enrol_by, { weekday: false }) + " · 余 " + s.seats_left + " 个名额"
      : "暂无可报名的班期";
    const employment = SM.employment(r);
    return h(
      "li",
      { class: "row", "data-course": r.course_id },
      h("div", { class: "row-pick" }, box, key),
      h(
        "div",
        { class: "row-body" },
        h(
          "div",
          { class: "row-top" },
          h(
            "div",
            {},
            h("p", { class: "row-title" }, h("label", { for: id }, i + 1 + ". " + r.title)),
            h("p", { class: "hint row-meta" }, [occ.name, occ.code, SM.certificate(r), SM.MODE_LABELS[r.mode]].filter(Boolean).join(" · ")),
          ),
          money,
        ),
        line("机构", SM.institution(r) + (employment ? " · 就业率 " + employment : "")),
        line("地点", SM.place(r)),
        line("班期", when),
        line("就业", SM.service(r)),
        h("ul", { class: "row-reasons", "aria-label": "推荐理由" }, (r.reasons || []).map((t) => h("li", {}, t))),
        referLink(r),
      ),
    );
  }

  /** "转介": the referral form for this course (and its next session), profile prefilled. */
  function referLink(r) {
    if (!canRefer || !r.next_session || !r.next_session.session_id) return null;
    const params = new URLSearchParams({ course_id: r.course_id, session_id: r.next_session.session_id });
    if (matched && matched.group) params.set("group", matched.group);
    if (/^\d{6}$/.test(matchedRegion)) params.set("region_code", matchedRegion);
    return h(
      "p",
      { class: "row-refer" },
      h("a", { class: "refer-link", href: "/console/refer?" + params.toString(), "aria-label": "转介：" + r.title }, "转介（登记并跟踪）"),
    );
  }

  function toggle(i, state) {
    const r = results[i];
    if (!r) return;
    const at = chosen.indexOf(r.course_id);
    const want = state === undefined ? at < 0 : state;
    if (want && at < 0) chosen.push(r.course_id);
    if (!want && at >= 0) chosen.splice(at, 1);
    updateChosen();
  }

  function updateChosen() {
    for (const li of $("rows").children) {
      const on = chosen.includes(li.dataset.course);
      li.classList.toggle("chosen", on);
      const box = li.querySelector(".pick-box");
      if (box) box.checked = on;
    }
    const titles = chosen.map((id) => (results.find((r) => r.course_id === id) || {}).title).filter(Boolean);
    $("chosen-count").textContent = chosen.length
      ? "已选 " + chosen.length + " 门：" + titles.join("；")
      : "已选 0 门";
    $("open-slip").disabled = chosen.length === 0;
  }

  function renderNear(excluded) {
    const list = $("near");
    list.replaceChildren(
      ...excluded.map((e) => {
        const others = (e.failed || []).filter((f) => f.reason && f.reason !== e.reason);
        return h(
          "li",
          {},
          h("p", { class: "row-title" }, e.title || e.course_id),
          h("p", { class: "why" }, "未入选：" + e.reason + " ", h("span", { class: "rule" }, "[" + e.rule + "]")),
          others.length ? h("ul", { class: "reasons" }, others.map((f) => h("li", {}, f.reason + " ", h("span", { class: "rule" }, "[" + f.rule + "]")))) : null,
        );
      }),
    );
    $("near-status").textContent = excluded.length ? "共 " + excluded.length + " 门。" : "没有相近但未入选的课程。";
  }

  /* -- the regional demand directory ------------------------------------------------------- */
  function cityOf(code) {
    if (!code || code.endsWith("0000")) return code;
    return code.slice(0, 4) + "00";
  }

  async function loadDemand(regionCode, inferred) {
    const code = cityOf(regionCode);
    const wrap = $("demand-wrap");
    const status = $("demand-status");
    if (!code) return;
    status.textContent = "正在载入…";
    try {
      const data = await SM.api("GET", "/api/v1/demand?limit=500&region_code=" + encodeURIComponent(code));
      const items = (data.items || []).filter((e) => e.applies !== false);
      // The person's own occupations first, then the most urgent and best subsidised.
      const order = inferred || [];
      const mine = new Set(order);
      const rank = (e) => (mine.has(e.occupation.code) ? order.indexOf(e.occupation.code) : order.length);
      items.sort(
        (a, b) => rank(a) - rank(b) || (TIER_ORDER[a.tier] ?? 9) - (TIER_ORDER[b.tier] ?? 9) || maxSubsidy(b) - maxSubsidy(a),
      );
      const top = items.slice(0, DEMAND_ROWS);
      const where = data.region ? data.region.name : "";
      if (!top.length) {
        status.textContent = where + "的培训需求目录中暂无有效条目。";
        wrap.hidden = true;
        $("demand-source").textContent = "";
        return;
      }
      const own = items.filter((e) => mine.has(e.occupation.code)).length;
      status.textContent =
        where + "：目录共 " + items.length + " 个职业" + (own ? "，与本人相关的 " + own + " 个排在前面" : "") + "。";
      const levels = (top[0].subsidies || []).map((x) => LEVEL_SHORT[x.national_level] || x.name);
      $("demand-table").replaceChildren(
        h("caption", { class: "sr-only" }, where + "培训需求目录：各等级补贴标准（元，含上浮）"),
        h(
          "thead",
          {},
          h("tr", {}, h("th", { scope: "col" }, "职业"), levels.map((n) => h("th", { scope: "col", class: "num" }, n))),
        ),
        h("tbody", {}, top.map((e) =>
          h("tr", { class: mine.has(e.occupation.code) ? "mine" : null },
            h("th", { scope: "row" },
              e.occupation.name,
              mine.has(e.occupation.code) ? h("span", { class: "rule" }, " 对口") : null,
              h("br"),
              h("span", { class: "tier tier-" + e.tier }, e.tier_name),
              e.key_occupation ? h("span", { class: "rule" }, " 重点") : null,
            ),
            (e.subsidies || []).map((x) => {
              const amount = x.uplifted_amount ?? x.amount;
              return h("td", { class: "num", title: x.marker_meaning || null }, amount ? SM.thousands(amount) : x.marker || "—");
            }),
          ),
        )),
      );
      wrap.hidden = false;
      const sources = [...new Set(top.map((e) => e.source).filter(Boolean))];
      $("demand-source").textContent =
        "单位：元（含紧缺/重点职业上浮），五级为初级工，一级为高级技师；“/”不在需求目录，“——”国家标准无此等级。" + (sources.length ? "出处：" + sources.join("；") : "");
    } catch (e) {
      wrap.hidden = true;
      status.textContent = e.kind === "starting" ? "服务正在启动，稍后再查询。" : "需求目录暂时无法载入：" + e.message;
    }
  }

  function maxSubsidy(e) {
    return Math.max(0, ...(e.subsidies || []).map((s) => s.uplifted_amount || s.amount || 0));
  }

  /* -- slip and next person ----------------------------------------------------------------- */
  function openSlip() {
    if (!chosen.length || !matched) {
      $("status").textContent = "请先选择至少一门课程（按数字键或勾选）。";
      return;
    }
    const slip = $("slip-form");
    const fields = { ...matched, relocate: matched.relocate ? "1" : "", online_only: matched.online_only ? "1" : "" };
    const inputs = [];
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined || value === null || value === "") continue;
      inputs.push(h("input", { type: "hidden", name, value: String(value) }));
    }
    for (const id of chosen) inputs.push(h("input", { type: "hidden", name: "course", value: id }));
    inputs.push(h("input", { type: "hidden", name: "csrf_token", value: SM.csrfToken() }));
    slip.replaceChildren(...inputs);
    slip.submit();
  }

  function nextPerson() {
    form.reset();
    updateCount();
    SM.clearErrors(form);
    picker.changed(0);
    form.dispatchEvent(new Event("change"));
    for (const r of form.querySelectorAll("input[name=region_mode]")) r.dispatchEvent(new Event("change"));
    results = [];
    chosen.length = 0;
    matched = null;
    $("rows").replaceChildren();
    $("near").replaceChildren();
    $("near-status").textContent = "—";
    $("occupations").hidden = true;
    $("empty").hidden = true;
    $("demand-wrap").hidden = true;
    $("demand-source").textContent = "";
    $("demand-status").textContent = "查询后显示服务对象所在城市的紧缺职业及补贴标准。";
    $("status").textContent = "已清空，可以录入下一位。";
    updateChosen();
    $("group").focus();
  }

  $("open-slip").addEventListener("click", openSlip);
  window.SMConsole = { search, picker, toggle };
})();
