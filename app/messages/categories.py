"""Incident categories of a workspace's own (``patrolnet categories``, the data page): labels and
the command line's lines. The errors of adding one are in :mod:`app.messages.errors_data`."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # the data page
    "data.categories": {"zh-CN": "警情类别", "en": "Incident categories"},
    "data.categories_intro": {
        "zh-CN": "内置 11 类之外，可添加本地特有的类别（如涉枪、涉毒、交通事故），并指定计入“两抢一盗”、其他刑事、治安或不计入；"
                 "导入时用“整列赋值”给整个文件一个类别，例如 category=shooting。",
        "en": "Besides the 11 built-in categories, add your own (shooting, drugs, traffic) and say which of the method's "
              "groups each counts in; give a whole file one category on import with 'one value for a column', "
              "e.g. category=shooting."},
    "data.cat_code": {"zh-CN": "代码（小写英文字母、数字或下划线）", "en": "Code (lowercase letters, digits or _)"},
    "data.cat_zh": {"zh-CN": "中文名称", "en": "Chinese name"},
    "data.cat_en": {"zh-CN": "英文名称", "en": "English name"},
    "data.cat_group": {"zh-CN": "计入", "en": "Counts in"},
    "data.cat_add": {"zh-CN": "添加类别", "en": "Add the category"},
    "ui.data.cat_code_short": {"zh-CN": "代码", "en": "Code"},
    "ui.data.cat_name": {"zh-CN": "名称", "en": "Name"},
    "ui.data.cat_group_short": {"zh-CN": "计入", "en": "Counts in"},
    "ui.data.cat_incidents": {"zh-CN": "警情数", "en": "Incidents"},
    "ui.data.cat_builtin": {"zh-CN": "内置", "en": "built in"},
    "ui.data.cat_added": {"zh-CN": "本工作区添加", "en": "added"},
    # patrolnet categories
    "cli.categories.title": {"zh-CN": "警情类别（{path}）", "en": "Incident categories ({path})"},
    "cli.categories.columns": {"zh-CN": "代码|中文名|英文名|计入|警情数|来源",
                               "en": "code|Chinese|English|counts in|incidents|kind"},
    "cli.categories.builtin": {"zh-CN": "内置", "en": "built in"},
    "cli.categories.added": {"zh-CN": "本工作区添加", "en": "added"},
    "cli.categories.added_one": {
        "zh-CN": "已添加警情类别 {code}（{zh} / {en}），计入：{group}。导入时可整文件指定：patrolnet import {ws} incidents 文件 "
                 "--set category={code}",
        "en": "Added incident category {code} ({zh} / {en}), counted in: {group}. Import a whole file with it: "
              "patrolnet import {ws} incidents FILE --set category={code}",
    },
    "cli.categories.removed": {"zh-CN": "已删除警情类别 {code}", "en": "Removed incident category {code}"},
}
