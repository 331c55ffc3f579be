/* The job-seeker form: profile → POST /api/v1/match → result cards, compare up to 3, print. */
(function () {
  "use strict";
  const SM = window.SM;
  const $ = SM.$;
  const h = SM.h;
  const MAX_COMPARE = 3;

  const form = $("profile-form");
  const picker = new SM.RegionPicker($("province"), $("city"), $("county"));
  picker.onerror = () => {
    const box = $("err-region_code");
    box.textContent = "地区列表暂时无法加载，可以改用“输入地址”。";
    box.hidden = false;
  };
  SM.regionModes(form);
  const updateCount = SM.counter($("text"), $("text-count"));
  for (const btn of document.querySelectorAll("button.example")) {
    btn.addEventListener("click", () => {
      $("text").value = btn.textContent;
      updateCount();
      $("text").focus();
    });
  }

  let results = [];
  const chosen = new Map(); // course_id → result, in the order ticked
  let lastPayload = null;

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    search();
  });

  async function search() {
    SM.clearErrors(form);
    const { payload, errors } = SM.readProfile(form, picker);
    if (errors.length) {
      SM.showErrors(form, errors, "");
      return;
    }
    lastPayload = payload;
    const button = $("submit");
    button.disabled = true;
    button.textContent = "正在查找…";
    form.setAttribute("aria-busy", "true");
    $("results-section").hidden = false;
    $("status").textContent = "正在查找适合您的课程…";
    try {
      const data = await SM.api("POST", "/api/v1/match", { ...payload, limit: 10 });
      render(data);
    } catch (e) {
      showFailure(e);
    } finally {
      button.disabled = false;
      button.textContent = "查找课程";
      form.removeAttribute("aria-busy");
    }
  }

  function showFailure(e) {
    $("cards").replaceChildren();
    $("occupations").hidden = true;
    const empty = $("empty");
    empty.replaceChildren();
    empty.className = "notice notice-error";
    if (e.kind === "starting") {
      $("status").textContent = "服务正在启动，请稍等几秒后再试。";
      empty.append(
        h("p", {}, "服务刚刚启动，正在准备课程数据，通常不超过一分钟。"),
        h("button", { type: "button", class: "btn btn-secondary", onclick: search }, "重试"),
      );
      empty.hidden = false;
      return;
    }
    if (e.kind === "api" && e.fields.length) {
      $("status").textContent = "请按提示修改后再查找。";
      $("results-section").hidden = true;
      SM.showErrors(form, e.fields, e.message);
      return;
    }
    $("status").textContent = e.message;
    empty.append(
      h("p", {}, e.message),
      h("button", { type: "button", class: "btn btn-secondary", onclick: search }, "重试"),
    );
    empty.hidden = false;
  }

  function render(data) {
    results = data.results || [];
    chosen.clear();
    updateCompareBar();
    $("compare-section").hidden = true;
    const where = data.region && data.region.name ? "（按" + data.region.name + "查找）" : "";
    const occs = (data.occupations || []).slice(0, 5);
    const chips = $("occupation-chips");
    chips.replaceChildren(...occs.map((o) => h("li", { class: "chip" }, o.name)));
    $("occupations").hidden = occs.length === 0;
    const cards = $("cards");
    cards.replaceChildren(...results.map(card));
    const empty = $("empty");
    empty.replaceChildren();
    if (results.length === 0) {
      $("status").textContent = "没有找到合适的课程" + where + "。";
      empty.className = "notice";
      empty.append(...suggestions());
      empty.hidden = false;
    } else {
      $("status").textContent = "找到 " + results.length + " 门课程" + where + "，最适合的排在前面。";
      empty.hidden = true;
    }
    $("results-title").focus();
  }

  function suggestions() {
    const items = [];
    const retry = (id) => () => {
      $(id).checked = true;
      search();
    };
    if (!$("relocate").checked) {
      items.push(h("li", {}, h("button", { type: "button", class: "btn btn-link", onclick: retry("relocate") }, "勾选“愿意去外地培训或就业”再找一次")));
    }
    if (!$("online_only").checked) {
      items.push(h("li", {}, "想在家学习？可以看看线上课程：", h("button", { type: "button", class: "btn btn-link", onclick: retry("online_only") }, "只看线上课程")));
    }
    items.push(
      h("li", {}, "换个说法描述您做过的工作或想学的手艺，例如“开过三年叉车”“想学做月嫂”。",
        h("button", { type: "button", class: "btn btn-link", onclick: () => $("text").focus() }, "修改描述")),
    );
    return [h("p", {}, "可以试试："), h("ul", { class: "suggestions" }, items)];
  }

  function card(r, i) {
    const id = "cmp-" + i;
    const title = h("h3", { class: "card-title", id: "title-" + i }, r.title);
    const occ = r.occupation && r.occupation.name ? r.occupation.name : "";
    const box = h("input", { type: "checkbox", id, class: "compare-box", "data-course": r.course_id });
    box.addEventListener("change", () => toggleCompare(r, box));
    return h(
      "li",
      { class: "card", "data-course": r.course_id, "aria-labelledby": "title-" + i },
      h("div", { class: "card-head" }, h("span", { class: "rank", "aria-hidden": "true" }, String(i + 1)), title),
      occ ? h("p", { class: "card-sub" }, "培训职业：" + occ + (r.mode === "online" ? " · 线上" : "")) : null,
      SM.factList(r),
      h("p", { class: "reasons-label" }, "推荐理由"),
      SM.reasonList(r),
      h("div", { class: "card-actions no-print" }, h("label", { class: "check", for: id }, box, " 加入对比")),
    );
  }

  /* -- compare up to 3 --------------------------------------------------------------------- */
  function toggleCompare(r, box) {
    if (box.checked) {
      if (chosen.size >= MAX_COMPARE) {
        box.checked = false;
        toast("最多对比 " + MAX_COMPARE + " 门课程，请先取消一门再选。");
        return;
      }
      chosen.set(r.course_id, r);
    } else {
      chosen.delete(r.course_id);
    }
    updateCompareBar();
    if (!$("compare-section").hidden) {
      if (chosen.size >= 2) renderCompare();
      else $("compare-section").hidden = true;
    }
  }

  let toastTimer = null;
  function toast(text) {
    const el = $("compare-msg");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      el.hidden = true;
    }, 5000);
  }

  function updateCompareBar() {
    $("compare-bar").hidden = chosen.size === 0;
    $("compare-count").textContent = "已选 " + chosen.size + "/" + MAX_COMPARE + " 门";
    $("open-compare").disabled = chosen.size < 2;
    $("open-compare").textContent = chosen.size < 2 ? "再选一门即可对比" : "对比 " + chosen.size + " 门课程";
  }

  function renderCompare() {
    const items = [...chosen.values()];
    const table = $("compare-table");
    const head = h("tr", {}, h("th", { scope: "col", class: "row-label" }, "项目"), items.map((r) => h("th", { scope: "col" }, r.title)));
    const labels = ["培训机构", "上课地点", "开班时间", "报名截止", "政府补贴", "个人自付", "证书", "就业服务", "就业率"];
    const facts = items.map((r) => Object.fromEntries(SM.facts(r).map(([k, v]) => [k, v])));
    const rows = labels.map((label) =>
      h("tr", { class: label === "政府补贴" || label === "个人自付" ? "money" : null },
        h("th", { scope: "row", class: "row-label" }, label),
        facts.map((f) => h("td", {}, f[label] || "—"))),
    );
    rows.push(
      h("tr", {}, h("th", { scope: "row", class: "row-label" }, "推荐理由"), items.map((r) => h("td", {}, SM.reasonList(r)))),
    );
    table.replaceChildren(
      h("caption", { class: "sr-only" }, "所选 " + items.length + " 门课程的对比"),
      h("thead", {}, head),
      h("tbody", {}, rows),
    );
    table.style.setProperty("--cols", String(items.length));
    $("compare-section").hidden = false;
    $("compare-title").focus();
  }

  $("open-compare").addEventListener("click", () => {
    if (chosen.size >= 2) renderCompare();
  });
  $("close-compare").addEventListener("click", () => {
    $("compare-section").hidden = true;
    $("results-title").focus();
  });
  $("clear-compare").addEventListener("click", () => {
    chosen.clear();
    for (const b of document.querySelectorAll(".compare-box")) b.checked = false;
    $("compare-section").hidden = true;
    updateCompareBar();
  });
  $("print-results").addEventListener("click", () => SM.printPart("print-results"));
  $("print-compare").addEventListener("click", () => SM.printPart("print-compare"));
  $("edit-profile").addEventListener("click", () => {
    form.scrollIntoView({ behavior: "smooth", block: "start" });
    $("group").focus();
  });

  window.SMSeeker = { search, picker, get lastPayload() { return lastPayload; } };
})();
