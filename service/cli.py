"""``skillmatch``: the one command-line entry point (catalog, import, database, accounts, serve).

Messages for people are in Simplified Chinese; ``--json`` outputs are for machines.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import socket
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from catalog.errors import CatalogError, ImportRejected
from catalog.store import CatalogStore, SnapshotError
from service.config import Settings, get_settings

logger = logging.getLogger("skillmatch")

EXIT_OK, EXIT_ERROR, EXIT_REJECTED = 0, 1, 2


class CommandFailed(Exception):
    """A command cannot go on; the message (Chinese) is shown as is."""


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")


def _store(args: argparse.Namespace, settings: Settings) -> CatalogStore:
    root = Path(args.store) if getattr(args, "store", None) else settings.catalog_dir
    return CatalogStore(root)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text}") from exc


# -- catalog commands ------------------------------------------------------------------------
def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Generate the demo catalog and make it current."""
    from catalog.demo import generate_demo

    store = _store(args, settings)
    courses = args.courses or settings.demo_courses
    today = args.today or date.today()
    _out(f"正在生成演示目录：{courses:,} 门课程（随机种子 {args.seed}，基准日期 {today}）……")
    tables = generate_demo(courses=courses, seed=args.seed, today=today, progress=True)
    manifest = store.write(
        tables,
        source="demo",
        demo=True,
        parent=store.current_version(),
        note=f"演示数据（非官方目录）：seed={args.seed}, today={today}, courses={courses}",
    )
    _out(f"已生成并启用目录版本 {manifest.version}：{manifest.counts}")
    return EXIT_OK


def cmd_prepare(args: argparse.Namespace, settings: Settings) -> int:
    """Make sure there is something to serve.

    That is the demo catalog when the store is empty, and an index bundle for the current
    catalog and the configured model.
    """
    from indexing.bundle import BundleError, BundleStore
    from indexing.encoder import Encoder

    store = _store(args, settings)
    version = store.current_version()
    ready = False
    if version is not None:
        try:
            store.read_manifest(version)
            ready = True
        except SnapshotError as exc:
            _err(f"当前目录版本不可读（{exc}），将重新生成演示目录")
    if ready:
        _out(f"目录已就绪：版本 {version}")
    else:
        args.courses = settings.demo_courses
        args.seed = settings.demo_seed
        args.today = None
        code = cmd_demo(args, settings)
        if code != EXIT_OK:
            return code
    bundles = BundleStore(_index_root(args, settings))
    current = bundles.current_version()
    if current is not None:
        try:
            manifest = bundles.read_manifest(current)
        except BundleError:
            manifest = {}
        same_catalog = manifest.get("catalog_version") == store.current_version()
        same_model = manifest.get("model_id") == Encoder(settings.model).model_id
        if same_catalog and same_model:
            _out(f"索引已就绪：版本 {current}")
            return EXIT_OK
    args.today = None
    return cmd_index(args, settings)


def _index_root(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.index) if getattr(args, "index", None) else settings.index_dir


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    """Build the index bundle of the current catalog and publish it atomically."""
    from indexing.bundle import BundleStore
    from indexing.encoder import Encoder
    from service.versions import prune_old_versions

    store = _store(args, settings)
    snapshot = store.load()
    encoder = Encoder(settings.model)
    _out(f"正在为目录 {snapshot.version} 构建索引（模型 {encoder.model_id}）……")
    bundles = BundleStore(_index_root(args, settings))
    manifest = bundles.build(
        snapshot, encoder, today=getattr(args, "today", None), show_progress=True
    )
    _out(
        f"索引 {manifest['version']} 已启用：{manifest['counts']['courses']:,} 门课程，"
        f"用时 {manifest['build_seconds']} 秒"
    )
    pruned = prune_old_versions(store, bundles, settings.keep_versions)
    if pruned.bundles or pruned.snapshots:
        _out(
            f"已删除 {len(pruned.bundles)} 个旧索引、{len(pruned.snapshots)} 个旧目录版本"
            f"（保留最新 {settings.keep_versions} 个）"
        )
    return EXIT_OK


def cmd_train_model(args: argparse.Namespace, settings: Settings) -> int:
    """Train the bundled domain model."""
    from indexing.encoder import BUNDLED_MODEL_DIR
    from indexing.ngram import CLASSIFIER_PATH, train_classifier
    from indexing.train import TrainConfig, train_model

    config = TrainConfig()
    if args.epochs:
        config.epochs = args.epochs
    if args.dim:
        config.dim = args.dim
    output = Path(args.output) if args.output else BUNDLED_MODEL_DIR
    result = train_model(output, config, progress=True)
    _out(
        f"模型已保存到 {result.path}：词表 {result.vocab_size:,}，训练样本 {result.examples:,}，"
        f"用时 {result.seconds:.0f} 秒；开发集 {result.dev}"
    )
    clf_output = Path(args.classifier_output) if args.classifier_output else CLASSIFIER_PATH
    _, card = train_classifier(clf_output, progress=True)
    _out(
        f"n-gram 职业分类器已保存到 {clf_output}：特征 {card['vocab_size']:,}，"
        f"训练样本 {card['train_examples']:,}，用时 {card['seconds']:.0f} 秒；开发集 {card['dev']}"
    )
    return EXIT_OK


def cmd_occupations(args: argparse.Namespace, settings: Settings) -> int:
    """Rank occupations for a text with the current bundle."""
    from indexing.bundle import BundleStore
    from indexing.encoder import Encoder

    bundle = BundleStore(_index_root(args, settings)).load(Encoder(settings.model))
    for hit in bundle.occupations.rank(args.text, k=args.limit, mode=args.mode):
        _out(f"{hit.code}  {hit.name}  {hit.score:.3f}")
    return EXIT_OK


def cmd_versions(args: argparse.Namespace, settings: Settings) -> int:
    """List catalog snapshots."""
    store = _store(args, settings)
    current = store.current_version()
    manifests = store.list_versions()
    if args.json:
        _out(
            json.dumps(
                [m.to_json() | {"current": m.version == current} for m in manifests],
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    if not manifests:
        _out("尚无目录版本")
    for m in manifests:
        mark = "*" if m.version == current else " "
        counts = "，".join(f"{k} {v:,}" for k, v in m.counts.items())
        _out(f"{mark} {m.version}  {m.created_at[:19]}  {m.source}  {counts}")
    return EXIT_OK


def cmd_switch(args: argparse.Namespace, settings: Settings) -> int:
    """Switch the current snapshot (e.g. roll back)."""
    store = _store(args, settings)
    try:
        store.switch(args.version)
    except SnapshotError as exc:
        _err(f"无法切换：{exc}")
        return EXIT_ERROR
    _out(f"当前目录版本：{args.version}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    """Print catalog statistics."""
    from catalog.stats import catalog_stats

    store = _store(args, settings)
    try:
        snapshot = store.load(args.version)
    except SnapshotError as exc:
        _err(str(exc))
        return EXIT_ERROR
    stats: dict[str, Any] = {"version": snapshot.version, "demo": snapshot.manifest.demo}
    stats.update(catalog_stats(snapshot.tables))
    if args.json:
        _out(json.dumps(stats, ensure_ascii=False, indent=2, default=str))
    else:
        for key, value in stats.items():
            _out(f"{key}: {value}")
    return EXIT_OK


# -- import ------------------------------------------------------------------------------------
def _plan(args: argparse.Namespace, settings: Settings) -> Any:
    from catalog.importer import plan_import

    kwargs: dict[str, Any] = {}
    if args.region:
        kwargs["region_code"] = args.region
    if args.valid_from:
        kwargs["valid_from"] = args.valid_from
    return plan_import(
        _store(args, settings), args.kind, Path(args.file), partial=args.partial, **kwargs
    )


def _write_report(args: argparse.Namespace, plan: Any) -> None:
    if args.report_json:
        Path(args.report_json).write_text(
            json.dumps(plan.to_json(), ensure_ascii=False, indent=2, default=str),
            encoding="utf-8",
        )
        _out(f"校验报告已写入 {args.report_json}")


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    """Validate a file: the row-by-row report, nothing changed."""
    from catalog.importer import load as load_file

    kwargs: dict[str, Any] = {}
    if args.region:
        kwargs["region_code"] = args.region
    result = load_file(args.kind, Path(args.file), **kwargs)
    _out(result.report.to_text())
    if args.report_json:
        Path(args.report_json).write_text(
            json.dumps(result.report.to_json(), ensure_ascii=False, indent=2, default=str),
            encoding="utf-8",
        )
    return EXIT_OK if result.report.ok else EXIT_REJECTED


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import a published catalog or directory: report, diff, then replace atomically."""
    from catalog.importer import apply_import

    plan = _plan(args, settings)
    _out(plan.to_text())
    _write_report(args, plan)
    if args.dry_run:
        _out("（试运行：未做任何更改）")
        return EXIT_OK if plan.ok else EXIT_REJECTED
    try:
        manifest = apply_import(_store(args, settings), plan)
    except ImportRejected as exc:
        _err(f"导入被拒绝，当前目录未做任何更改：{exc}")
        return EXIT_REJECTED
    _out(f"导入完成，当前目录版本：{manifest.version}")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace, settings: Settings) -> int:
    """Show what importing a file would change (same as ``import --dry-run``)."""
    args.dry_run = True
    return cmd_import(args, settings)


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    """Run a file of evaluation cases through the engine (or a server) and print figures."""
    from tqdm import tqdm

    from catalog.store import CatalogStore as Store
    from indexing.bundle import BundleStore
    from indexing.encoder import Encoder
    from service.evaluation import (
        CONFIGS,
        ViolationChecker,
        format_table,
        load_cases,
        reachable_cases,
        run_against_url,
        run_in_process,
    )
    from service.state import build_matcher

    cases = load_cases(args.file)
    today = args.today or settings.effective_today()
    reachable: int | None = None
    store = Store(Path(args.store) if args.store else settings.catalog_dir)
    if args.url:
        checker = ViolationChecker(store.load())
        summaries = [run_against_url(args.url, cases, today=today, checker=checker)]
    else:
        encoder = Encoder(settings.model)
        bundle = BundleStore(_index_root(args, settings)).load(encoder)
        snapshot = store.load(bundle.manifest["catalog_version"])
        matcher = build_matcher(snapshot, bundle, encoder)
        configs = args.configs.split(",") if args.configs else list(CONFIGS)
        bar = tqdm(total=len(cases) * len(configs), desc="评估", disable=args.json)
        summaries = run_in_process(
            matcher,
            cases,
            today=today,
            configs=configs,
            checker=ViolationChecker(snapshot),
            progress=lambda _c, _i: bar.update(1),
        )
        bar.close()
        reachable = reachable_cases(matcher, cases, today=today)
    if args.json:
        _out(json.dumps([s.row() for s in summaries], ensure_ascii=False, indent=2))
    else:
        _out(f"{len(cases)} 个案例，基准日期 {today}")
        _out(format_table(summaries))
        if reachable is not None and cases:
            _out(
                f"目录可达上限：{reachable}/{len(cases)} 个案例（{reachable / len(cases):.3f}）"
                "至少有一门可接受职业的课程此人今天可以报名，course@5 不会超过此值"
            )
    if args.details:
        rows = [o.__dict__ | {"config": s.config} for s in summaries for o in s.outcomes]
        Path(args.details).write_text(
            "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
        )
    return EXIT_OK


# -- database, accounts, retention, outcomes -------------------------------------------------
def _database(settings: Settings) -> Any:
    """The service database, migrated, with the secret key loaded."""
    from sqlalchemy.exc import SQLAlchemyError

    from service.database import Database

    database = Database(settings)
    try:
        database.open()
    except SQLAlchemyError as exc:
        database.close()
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CommandFailed(f"无法连接或升级数据库：{reason}") from exc
    except RuntimeError as exc:  # the secret key
        database.close()
        raise CommandFailed(f"密钥错误：{exc}") from exc
    return database


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"须为正整数：{text}")
    return value


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Migrate the database schema to the newest revision."""
    from sqlalchemy.exc import SQLAlchemyError

    from service.db import create_db_engine, current_revision, head_revision, upgrade_to_head

    engine = create_db_engine(settings.sqlalchemy_url)
    try:
        before = current_revision(engine)
        upgrade_to_head(engine)
        after = current_revision(engine)
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CommandFailed(f"无法连接或升级数据库：{reason}") from exc
    finally:
        engine.dispose()
    backend = engine.dialect.name
    if before == after:
        _out(f"数据库（{backend}）已是最新结构：版本 {after}")
    else:
        _out(f"数据库（{backend}）已升级：{before or '空库'} → {after}（最新 {head_revision()}）")
    return EXIT_OK


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first = getpass.getpass("请输入密码：")
    second = getpass.getpass("请再次输入密码：")
    if first != second:
        _err("两次输入的密码不一致，未创建账号。")
        return None
    return first


def cmd_create_admin(args: argparse.Namespace, settings: Settings) -> int:
    """Create an administrator account (e.g. the first one)."""
    from service.casework import accounts
    from service.casework.errors import CaseworkError

    database = _database(settings)
    try:
        with database.session() as session:
            if accounts.get_user_by_username(session, username=args.username) is not None:
                _err(f"用户名 {args.username} 已存在，未做任何更改。")
                return EXIT_ERROR
        password = _read_password(args)
        if password is None:
            return EXIT_ERROR
        with database.session() as session:
            user = accounts.create_user(
                session, username=args.username, password=password, role="admin"
            )
            _out(f"已创建管理员账号 {user.username}（编号 {user.id}），可在 /console/login 登录。")
    except CaseworkError as exc:
        _err(f"未创建账号：{exc.message}")
        return EXIT_ERROR
    finally:
        database.close()
    return EXIT_OK


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    """Delete people inactive for longer than the retention period."""
    from service.casework.retention import purge_inactive_people

    database = _database(settings)
    try:
        with database.session() as session:
            result = purge_inactive_people(
                session, retention_days=settings.retention_days, dry_run=args.dry_run
            )
    finally:
        database.close()
    cutoff = result.cutoff.astimezone().strftime("%Y-%m-%d %H:%M")
    verb = "将清除" if result.dry_run else "已清除"
    _out(
        f"{'试运行：' if result.dry_run else ''}保存期限 {settings.retention_days} 天"
        f"（{cutoff} 以前无服务记录）：{verb} {result.people} 名人员的信息，"
        f"{result.referrals_unlinked} 条转介记录与人员解除关联（保留用于成效统计）。"
    )
    return EXIT_OK


def cmd_outcomes(args: argparse.Namespace, settings: Settings) -> int:
    """Compute outcome statistics from referrals and write them for the next index build."""
    from service.casework.outcomes import compute_outcomes, write_outcomes

    database = _database(settings)
    try:
        with database.session() as session:
            report = compute_outcomes(session, min_sample=args.min_sample)
    finally:
        database.close()
    try:
        path = write_outcomes(report, Path(args.out))
    except ValueError:
        _err("输出文件须以 .json 或 .parquet 结尾。")
        return EXIT_ERROR
    _out(
        f"成效统计已写入 {path}：{len(report.courses)} 门课程，"
        f"{len(report.institutions)} 家机构（最小样本 {report.min_sample}）。"
    )
    return EXIT_OK


# -- serve -----------------------------------------------------------------------------------
def tcp_listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket shared by worker processes.

    Created with ``proto=IPPROTO_TCP`` on purpose: asyncio sets ``TCP_NODELAY`` only on sockets
    whose protocol says TCP, and uvicorn's own ``bind_socket`` leaves it 0, so every response
    of a multi-worker server waited ~40 ms for a delayed ACK (Nagle). Measured on /health:
    44 ms -> under 1 ms per request.
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API and pages with uvicorn."""
    import uvicorn

    from service.app import create_app

    host = args.host or settings.host
    port = args.port or settings.port
    _out(f"服务地址：http://{host}:{port}/  （健康检查 /api/v1/health，接口文档 /docs）")
    if args.workers > 1:
        # Each worker process loads the same immutable catalog snapshot and index bundle.
        from uvicorn.supervisors import Multiprocess

        config = uvicorn.Config(
            "service.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=args.workers,
            log_level=settings.log_level.lower(),
        )
        sock = tcp_listen_socket(host, port)
        try:
            Multiprocess(config, sockets=[sock]).run()
        finally:
            sock.close()
    else:
        uvicorn.run(
            create_app(settings), host=host, port=port, log_level=settings.log_level.lower()
        )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``skillmatch``."""
    parser = argparse.ArgumentParser(
        prog="skillmatch", description="技能培训课程匹配服务：目录管理、导入与服务"
    )
    parser.add_argument("--store", help="目录存储位置（默认 $SKILLMATCH_DATA_DIR/catalog）")
    parser.add_argument("--index", help="索引存储位置（默认 $SKILLMATCH_DATA_DIR/index）")
    parser.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo", help="生成演示目录（确定性，标注为演示数据）并启用")
    p.add_argument("--courses", type=int, default=None, help="课程数（默认 20000）")
    p.add_argument("--seed", type=int, default=20250620, help="随机种子")
    p.add_argument("--today", type=_parse_date, default=None, help="基准日期 YYYY-MM-DD")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("prepare", help="若无目录则生成演示目录（make run 调用）")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("versions", help="列出目录版本（* 为当前）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_versions)

    p = sub.add_parser("switch", help="切换当前目录版本（如回滚）")
    p.add_argument("version")
    p.set_defaults(func=cmd_switch)

    p = sub.add_parser("stats", help="目录统计")
    p.add_argument("--json", action="store_true")
    p.add_argument("--version", default=None)
    p.set_defaults(func=cmd_stats)

    for name, func, text in (
        ("import", cmd_import, "导入公布的目录文件（CSV/XLSX/JSON）：校验、差异、原子替换"),
        ("validate", cmd_validate, "只校验文件，逐行报告，不做更改"),
        ("diff", cmd_diff, "显示导入该文件将带来的变化，不做更改"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("file")
        p.add_argument(
            "--kind",
            required=True,
            choices=["demand", "institutions", "courses"],
            help="文件类别：demand 培训需求目录，institutions 培训机构，courses 培训项目目录",
        )
        p.add_argument("--region", help="整份文件所属地区代码（文件中无地区列时）")
        p.add_argument("--report-json", help="把校验报告另存为 JSON")
        if name != "validate":
            p.add_argument("--partial", action="store_true", help="跳过无效行，导入其余有效行")
            p.add_argument("--valid-from", type=_parse_date, help="有效期起（默认今天）")
        if name == "import":
            p.add_argument("--dry-run", action="store_true", help="试运行，不做更改")
        p.set_defaults(func=func)

    p = sub.add_parser("index", help="为当前目录构建索引并原子切换")
    p.add_argument("--today", type=_parse_date, default=None, help="基准日期（默认今天）")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("train-model", help="训练内置领域模型和 n-gram 职业分类器（约 3 分钟）")
    p.add_argument("--output", default=None, help="输出目录（默认 indexing/model）")
    p.add_argument(
        "--classifier-output",
        default=None,
        help="n-gram 职业分类器的输出文件（默认 indexing/classifier/ngram.npz）",
    )
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--dim", type=int, default=None)
    p.set_defaults(func=cmd_train_model)

    p = sub.add_parser("occupations", help="用当前索引为一段文字推断职业")
    p.add_argument("text")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--mode", choices=["hybrid", "dense", "lexical", "classifier"], default="hybrid")
    p.set_defaults(func=cmd_occupations)

    p = sub.add_parser("evaluate", help="用评估案例文件（JSON Lines）评估匹配质量")
    p.add_argument("file")
    p.add_argument("--url", help="评估运行中的服务（如 http://127.0.0.1:8000），默认进程内")
    p.add_argument("--today", type=_parse_date, default=None, help="基准日期（默认今天）")
    p.add_argument("--configs", help="逗号分隔：lexical,dense,hybrid,hybrid+rules（默认全部）")
    p.add_argument("--json", action="store_true")
    p.add_argument("--details", help="把逐案例结果写入 JSON Lines 文件")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("db", help="数据库管理")
    db_sub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    q = db_sub.add_parser("upgrade", help="把数据库结构升级到最新版本（可重复执行）")
    q.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("create-admin", help="创建管理员账号（如第一个管理员）")
    p.add_argument("--username", required=True, help="用户名")
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="从标准输入读取密码（一行）；默认交互输入两次",
    )
    p.set_defaults(func=cmd_create_admin)

    p = sub.add_parser("purge", help="按保存期限（SKILLMATCH_RETENTION_DAYS）清除人员信息")
    p.add_argument("--dry-run", action="store_true", help="只统计，不删除")
    p.set_defaults(func=cmd_purge)

    p = sub.add_parser("outcomes", help="由转介记录计算课程和机构的培训成效，供下次建索引使用")
    p.add_argument("--out", required=True, help="输出文件（.json 或 .parquet）")
    p.add_argument(
        "--min-sample", type=_positive, default=20, help="计算比率所需的最小样本（默认 20）"
    )
    p.set_defaults(func=cmd_outcomes)

    p = sub.add_parser("serve", help="启动服务")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--workers", type=int, default=1, help="工作进程数（每个进程加载同一份索引）")
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except ValueError as exc:  # pydantic ValidationError is a ValueError
        _err(f"配置有误（SKILLMATCH_* 环境变量）：\n{exc}")
        return EXIT_ERROR
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.func(args, settings)
    except CommandFailed as exc:
        _err(str(exc))
        return EXIT_ERROR
    except FileNotFoundError as exc:
        _err(f"找不到文件：{exc.filename}")
        return EXIT_ERROR
    except ImportRejected as exc:
        _err(str(exc))
        return EXIT_REJECTED
    except CatalogError as exc:
        _err(str(exc))
        return EXIT_ERROR
    except SnapshotError as exc:
        _err(f"目录存储错误：{exc}")
        return EXIT_ERROR
    except RuntimeError as exc:  # BundleError, ModelUnavailable
        _err(f"索引或模型错误：{exc}")
        return EXIT_ERROR
    return code


if __name__ == "__main__":
    raise SystemExit(main())
