"""The PostgreSQL/PostGIS backend and copying a workspace between backends (``error.<code>`` and the
command line's texts of ``patrolnet workspace copy``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "error.storage.pg_unreachable": {
        "zh-CN": "无法连接 {url}（{reason}）；请检查主机、端口、用户名和数据库名，并确认数据库服务正在运行且允许该用户连接",
        "en": "cannot connect to {url} ({reason}); check the host, port, user and database, and that the server is "
              "running and accepts this user",
    },
    "error.storage.pg_bad_schema": {
        "zh-CN": "数据库地址 {url} 中的模式名“{value}”无效：请只用小写字母、数字和下划线（如 yushui）",
        "en": "{url}: schema '{value}': use lowercase letters, digits and _ (e.g. yushui)",
    },
    "error.storage.pg_no_postgis": {
        "zh-CN": "{url} 所在的数据库没有安装 PostGIS；请数据库管理员在该库中执行 CREATE EXTENSION postgis; 后再复制",
        "en": "the database of {url} has no PostGIS; ask its administrator to run 'CREATE EXTENSION postgis;' in it, "
              "then copy again",
    },
    "error.storage.pg_public_schema": {
        "zh-CN": "{url}：请给工作区一个独立的模式（在地址后加 ?schema=yushui）；public 模式存放 PostGIS 本身",
        "en": "{url}: give the workspace a schema of its own (add ?schema=yushui to the URL); the public schema holds "
              "PostGIS itself",
    },
    "error.storage.pg_schema_exists": {
        "zh-CN": "{url} 中的模式“{schema}”已有数据表；请换一个模式名（?schema=名称），或选择替换它",
        "en": "schema '{schema}' of {url} already holds tables; choose another schema (?schema=NAME) or replace it",
    },
    "error.storage.pg_not_workspace": {
        "zh-CN": "{url} 中的模式“{schema}”里没有 patrolnet 工作区；请检查模式名，或先把工作区复制进去",
        "en": "schema '{schema}' of {url} holds no patrolnet workspace; check the schema's name or copy a workspace "
              "into it first",
    },
    "error.storage.pg_copy_failed": {
        "zh-CN": "复制到 {url} 失败（{reason}）；该处未写入任何内容",
        "en": "the copy into {url} failed ({reason}); nothing was written there",
    },
    "error.storage.pg_read_failed": {
        "zh-CN": "读取 {url} 中的工作区失败（{reason}）；未复制任何内容",
        "en": "reading the workspace at {url} failed ({reason}); nothing was copied",
    },
    "error.storage.pg_reserved_layer": {
        "zh-CN": "图层“{layer}”与 PostgreSQL 中存储自身的表同名；请给图层改名",
        "en": "layer '{layer}': the name is taken by the store's own tables in PostgreSQL; rename the layer",
    },
    "error.storage.pg_layer_name": {
        "zh-CN": "图层“{layer}”：PostgreSQL 的名称最多 63 字节；请给图层起一个更短的名字",
        "en": "layer '{layer}': PostgreSQL names have at most 63 bytes; give the layer a shorter name",
    },
    "error.storage.pg_column_type": {
        "zh-CN": "图层“{layer}”的列“{column}”：类型 {dtype} 无法保存；请转换为文本或数值",
        "en": "layer '{layer}', column '{column}': type {dtype} cannot be stored; convert it to text or numbers",
    },
    "error.storage.pg_bad_time": {
        "zh-CN": "图层“{layer}”的列“{column}”：有值不是日期时间（{reason}）；请改正（ISO 8601，如 2025-03-01T20:15:00+08:00）"
                 "或重新导入该图层",
        "en": "layer '{layer}', column '{column}': a value is not a date and time ({reason}); fix it (ISO 8601, e.g. "
              "2025-03-01T20:15:00+08:00) or import the layer again",
    },
    "error.storage.pg_no_column": {
        "zh-CN": "图层“{layer}”没有列：{columns}",
        "en": "layer '{layer}' has no column(s) {columns}",
    },
    "error.storage.pg_backup": {
        "zh-CN": "{url}：patrolnet 不自行备份 PostgreSQL 中的工作区；请用数据库自带的工具（对模式 {schema} 执行 pg_dump，"
                 "用 pg_restore 恢复），或把它复制为 .gpkg 文件（patrolnet workspace copy 地址 副本.gpkg）",
        "en": "{url}: patrolnet does not back up a PostgreSQL workspace itself; use the database's tools (pg_dump of "
              "schema {schema}, pg_restore), or copy it to a .gpkg file (patrolnet workspace copy URL copy.gpkg)",
    },
    "error.storage.pg_init_exists": {
        "zh-CN": "{url} 中的模式“{schema}”已有数据表；“patrolnet {command}”只在新的模式中建立工作区，不会替换已有的"
                 "（其中的用户、记录和审计日志会一并丢失）：请换一个新的模式名（?schema=名称），或由数据库管理员"
                 "先用 pg_dump 备份、再删除该模式",
        "en": "schema '{schema}' of {url} already holds tables; 'patrolnet {command}' makes a workspace in a new schema and "
              "does not replace one (its users, records and audit log would go with it): give a new schema "
              "(?schema=NAME), or have the database's administrator drop that one after a pg_dump",
    },
    "error.storage.pg_create": {
        "zh-CN": "“patrolnet {command}”只能生成 .gpkg 工作区文件，不能直接写入 {url}；请先生成文件（如 ws.gpkg），"
                 "再复制进数据库（patrolnet workspace copy ws.gpkg 地址），之后即可用该地址启动网页服务",
        "en": "'patrolnet {command}' makes a .gpkg workspace file, not a workspace in {url}; make the file (e.g. ws.gpkg), "
              "copy it in (patrolnet workspace copy ws.gpkg URL), then serve the URL",
    },
    "error.workspace.copy_exists": {
        "zh-CN": "“{path}”已存在；请换一个路径，或选择替换它",
        "en": "'{path}' already exists; choose another path or replace it",
    },
    "error.workspace.copy_same": {
        "zh-CN": "“{path}”既是来源又是目标；请给出另一个目标",
        "en": "'{path}' is both the source and the target; give another target",
    },
    # -- patrolnet workspace copy ------------------------------------------------------------------
    "cli.copy.title": {"zh-CN": "已复制工作区：{source} → {target}（{seconds:.1f} 秒）",
                       "en": "Copied the workspace {source} -> {target} ({seconds:.1f} s)"},
    "cli.copy.layer": {"zh-CN": "图层", "en": "Layer"},
    "cli.copy.features": {"zh-CN": "要素数", "en": "Features"},
    "cli.copy.rest": {"zh-CN": "元数据 {meta} 项，审计日志 {audit} 条，成果记录 {records} 条（状态变更 {events} 条）",
                      "en": "{meta} meta keys, {audit} audit entries, {records} records ({events} status events)"},
    "cli.copy.not_copied": {"zh-CN": "未复制：{what}", "en": "Not copied: {what}"},
}
