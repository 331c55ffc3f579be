// Catalog updates page: upload, show the report and difference, approve, follow the progress.
(function () {
  "use strict";
  const API = "/api/v1/admin/catalog/updates";
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const jobsEl = document.getElementById("jobs");
  const statusEl = document.getElementById("updates-status");
  const form = document.getElementById("upload-form");
  const RUNNING = ["approved", "importing", "indexing", "switching", "staged"];
  let timer = null;

  function say(text) { statusEl.textContent = text; }

  function esc(text) {
    const div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  async function call(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options || {}));
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const message = body && body.error ? body.error.message : "操作失败（" + response.status + "）";
      throw new Error(message);
    }
    return body;
  }

  function diffText(diff) {
    if (!diff) return "";
    return Object.keys(diff).map(function (table) {
      const d = diff[table];
      return esc(table) + "：新增 " + d.added + "，修改 " + d.changed + "，删除 " + d.removed;
    }).join("；");
  }

  function render(jobs) {
    if (!jobs.length) { jobsEl.innerHTML = '<p class="hint">暂无更新任务。</p>'; return; }
    jobsEl.innerHTML = jobs.map(function (job) {
      const busy = RUNNING.indexOf(job.status) >= 0 && job.status !== "staged";
      const buttons = [];
      if (job.status === "validated") {
        buttons.push('<button type="button" class="btn" data-act="approve" data-id="' + esc(job.job_id) + '">确认导入并切换</button>');
      }
      if (job.status === "validated" || job.status === "rejected") {
        buttons.push('<button type="button" class="btn btn-secondary" data-act="cancel" data-id="' + esc(job.job_id) + '">放弃</button>');
      }
      return '<article class="card job" data-status="' + esc(job.status) + '" id="job-' + esc(job.job_id) + '">' +
        '<h3>' + esc(job.filename) + ' <span class="badge">' + esc(job.status_label || job.status) + '</span></h3>' +
        '<p class="hint">任务 ' + esc(job.job_id) + '，上传者 ' + esc(job.actor) + '</p>' +
        (busy || job.status === "done" ? '<label>构建进度 <progress max="100" value="' + Number(job.progress || 0) + '">' +
          Number(job.progress || 0) + '%</progress> ' + Number(job.progress || 0) + '% ' + esc(job.phase || "") + '</label>' : "") +
        (job.diff ? '<p>与当前目录相比：' + diffText(job.diff) + '</p>' : "") +
        (job.summary ? '<details><summary>校验报告</summary><pre class="report">' + esc(job.summary) + '</pre></details>' : "") +
        (job.error ? '<p class="error" role="alert">' + esc(job.error) + '</p>' : "") +
        (job.catalog_version && job.status === "done" ? '<p>已切换到目录版本 ' + esc(job.catalog_version) + '</p>' : "") +
        '<div class="actions">' + buttons.join(" ") + '</div></article>';
    }).join("");
  }

  async function refresh() {
    try {
      const jobs = await call(API);
      render(jobs);
      const active = jobs.some(function (j) { return RUNNING.indexOf(j.status) >= 0; });
      clearTimeout(timer);
      if (active) timer = setTimeout(refresh, 2000);
    } catch (e) { say(e.message); }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const data = new FormData(form);
    if (!document.getElementById("partial").checked) data.delete("partial");
    ["region_code", "valid_from"].forEach(function (k) { if (!data.get(k)) data.delete(k); });
    say("正在上传并校验……");
    try {
      const job = await call(API, { method: "POST", body: data, headers: { "X-CSRF-Token": csrf } });
      say(job.status === "validated" ? "校验通过，请查看差异后确认导入。" : "文件未通过校验：" + (job.error || "请查看校验报告"));
      form.reset();
      refresh();
    } catch (e) { say(e.message); }
  });

  jobsEl.addEventListener("click", async function (event) {
    const button = event.target.closest("button[data-act]");
    if (!button) return;
    const act = button.getAttribute("data-act");
    button.disabled = true;
    try {
      await call(API + "/" + encodeURIComponent(button.getAttribute("data-id")) + "/" + act,
        { method: "POST", headers: { "X-CSRF-Token": csrf } });
      say(act === "approve" ? "已确认，正在后台导入和构建索引，服务照常运行。" : "已放弃该更新。");
      refresh();
    } catch (e) { say(e.message); button.disabled = false; }
  });

  refresh();
})();
