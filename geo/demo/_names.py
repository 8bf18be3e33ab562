"""Name pools for the demo district (zh-CN with English/pinyin renderings).

The article's names come first; the rest are plausible Xinyu place names and common Chinese street,
community and residential-compound names. Every function here is deterministic given its generator.
"""

from __future__ import annotations

import numpy as np

# -- roads ----------------------------------------------------------------------------------------
#: North-south arterials by offset from the centre (0 = the one nearest the centre, +1 east of it,
#: -1 west of it, ...). A value "A|B" names the piece north of the river A and south of it B.
NS_ARTERIALS: dict[int, str] = {
    0: "人民北路|人民南路",
    1: "抱石路",
    -1: "竹山路",
    2: "白竹路",
    -2: "青年路",
    3: "长青路",
    -3: "团结路",
    4: "仙来大道",
    -4: "渝水大道",
    5: "新欣大道",
    -5: "城西大道",
}
#: East-west arterials by offset from the centre (+1 north of the central one).
EW_ARTERIALS: dict[int, str] = {
    0: "劳动路",
    1: "北湖路",
    -1: "胜利路",
    2: "赣西大道",
    3: "城北大道",
    -2: "沿江路",
    -3: "南湖路",
    -4: "城南大道",
    4: "钤山路",
    -5: "袁河大道",
    5: "天工路",
}
EXTRA_ARTERIALS = [
    "秀水路",
    "裕华路",
    "珠珊路",
    "下村路",
    "罗坊路",
    "水北路",
    "良山路",
    "姚圩路",
    "马洪路",
    "欧里路",
    "观巢路",
    "南安路",
    "界水路",
    "人和路",
    "鹄山路",
    "新溪路",
    "九龙路",
    "孔目江路",
    "湖泽路",
    "北门路",
    "西门路",
    "东门路",
    "南门路",
    "公园路",
    "双井路",
    "学府路",
    "工业大道",
    "经济大道",
    "光明路",
    "和平路",
    "解放路",
    "建设路",
    "民主路",
    "文化路",
    "康乐路",
    "紫荆路",
    "樟树路",
    "桂花路",
    "凤凰路",
    "龙腾路",
    "金桥路",
    "银河路",
    "站前路",
    "铁路大道",
    "百花路",
    "明珠路",
    "怡湖路",
    "书院路",
    "东湖路",
    "西湖路",
    "高岭路",
    "前进路",
    "幸福路",
    "长林路",
]
BANK_ROADS = ("滨江北路", "滨江南路")
RING_ROADS = {"N": "北环路", "S": "南环路", "E": "东环路", "W": "西环路"}
_LOCAL_PREFIX = [
    "建设",
    "和平",
    "光明",
    "文化",
    "学府",
    "公园",
    "花园",
    "龙腾",
    "凤凰",
    "桂花",
    "紫荆",
    "樟树",
    "康乐",
    "民主",
    "解放",
    "东风",
    "前进",
    "新华",
    "复兴",
    "振兴",
    "育才",
    "书香",
    "青云",
    "锦绣",
    "杏林",
    "丰收",
    "永安",
    "长安",
    "太平",
    "兴业",
    "富民",
    "向阳",
    "朝阳",
    "红旗",
    "新风",
    "同心",
    "聚贤",
    "仁和",
    "德胜",
    "惠民",
    "安居",
    "乐业",
    "福寿",
    "吉祥",
    "金鸡",
    "银杏",
    "翠竹",
    "梅岭",
    "荷塘",
    "秀峰",
    "月湖",
    "星火",
    "曙光",
    "黎明",
    "晨光",
    "万寿",
    "天宝",
    "清风",
    "明月",
    "白鹭",
]
_LOCAL_MID = ["", "东", "西", "南", "北", "一", "二", "三"]
_LOCAL_SUFFIX = ["路", "街", "巷"]


def local_street_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` residential-street names (repeats allowed, as in real towns)."""
    p = rng.integers(0, len(_LOCAL_PREFIX), n)
    m = rng.integers(0, len(_LOCAL_MID), n)
    s = rng.choice(len(_LOCAL_SUFFIX), n, p=[0.4, 0.35, 0.25])
    return [f"{_LOCAL_PREFIX[a]}{_LOCAL_MID[b]}{_LOCAL_SUFFIX[c]}" for a, b, c in zip(p, m, s)]


# -- stations -------------------------------------------------------------------------------------
STATION_FIXED = [
    ("北湖路派出所", "Beihu Road Police Station"),
    ("抱石路派出所", "Baoshi Road Police Station"),
    ("珠珊派出所", "Zhushan Police Station"),
]
_STATION_POOL = [
    ("城南", "Chengnan"),
    ("城北", "Chengbei"),
    ("仙来", "Xianlai"),
    ("袁河", "Yuanhe"),
    ("新钢", "Xingang"),
    ("城东", "Chengdong"),
    ("渝东", "Yudong"),
    ("城西", "Chengxi"),
    ("站前", "Zhanqian"),
    ("水北", "Shuibei"),
    ("下村", "Xiacun"),
    ("良山", "Liangshan"),
    ("罗坊", "Luofang"),
    ("姚圩", "Yaoxu"),
    ("欧里", "Ouli"),
    ("人和", "Renhe"),
    ("界水", "Jieshui"),
    ("南安", "Nan'an"),
    ("鹄山", "Hushan"),
    ("九龙山", "Jiulongshan"),
    ("观巢", "Guanchao"),
    ("马洪", "Mahong"),
    ("新溪", "Xinxi"),
    ("河下", "Hexia"),
    ("孔目江", "Kongmujiang"),
    ("天工", "Tiangong"),
    ("高新", "Gaoxin"),
    ("钤山", "Qianshan"),
    ("秀水", "Xiushui"),
    ("湖泽", "Huze"),
]
_DIRS = [("东", "East"), ("西", "West"), ("南", "South"), ("北", "North"), ("中", "Central")]


def station_names(n: int) -> list[tuple[str, str]]:
    """The article's three stations first, then plausible others (direction-suffixed beyond 33)."""
    out = list(STATION_FIXED[: max(n, 0)])
    pool = [(f"{zh}派出所", f"{en} Police Station") for zh, en in _STATION_POOL]
    for d_zh, d_en in _DIRS:
        pool += [(f"{zh}{d_zh}派出所", f"{en} {d_en} Police Station") for zh, en in _STATION_POOL]
    out += pool[: max(0, n - len(out))]
    if len(out) < n:
        out += [(f"第{i}派出所", f"Police Station No. {i}") for i in range(len(out) + 1, n + 1)]
    return out[:n]


# -- communities ----------------------------------------------------------------------------------
_COMMUNITY_POOL = [
    ("北湖", "Beihu"),
    ("抱石", "Baoshi"),
    ("团结", "Tuanjie"),
    ("胜利", "Shengli"),
    ("劳动", "Laodong"),
    ("长青", "Changqing"),
    ("白竹", "Baizhu"),
    ("青年", "Qingnian"),
    ("竹山", "Zhushan"),
    ("仙来", "Xianlai"),
    ("渝东", "Yudong"),
    ("城北", "Chengbei"),
    ("城南", "Chengnan"),
    ("东门", "Dongmen"),
    ("西门", "Ximen"),
    ("南门", "Nanmen"),
    ("北门", "Beimen"),
    ("站前", "Zhanqian"),
    ("袁河", "Yuanhe"),
    ("沿江", "Yanjiang"),
    ("百花", "Baihua"),
    ("明珠", "Mingzhu"),
    ("怡湖", "Yihu"),
    ("凤凰", "Fenghuang"),
    ("金桥", "Jinqiao"),
    ("龙腾", "Longteng"),
    ("孔目", "Kongmu"),
    ("钤山", "Qianshan"),
    ("书院", "Shuyuan"),
    ("东湖", "Donghu"),
    ("西湖", "Xihu"),
    ("高岭", "Gaoling"),
    ("桂花", "Guihua"),
    ("学府", "Xuefu"),
    ("新村", "Xincun"),
    ("前进", "Qianjin"),
    ("光明", "Guangming"),
    ("幸福", "Xingfu"),
    ("和平", "Heping"),
    ("天工", "Tiangong"),
    ("秀水", "Xiushui"),
    ("裕华", "Yuhua"),
    ("湖泽", "Huze"),
    ("双井", "Shuangjing"),
    ("公园", "Gongyuan"),
    ("新钢", "Xingang"),
    ("铁路", "Tielu"),
    ("建设", "Jianshe"),
    ("民主", "Minzhu"),
    ("文化", "Wenhua"),
    ("康乐", "Kangle"),
    ("紫荆", "Zijing"),
    ("樟树", "Zhangshu"),
    ("马洪", "Mahong"),
    ("水西", "Shuixi"),
    ("江滨", "Jiangbin"),
    ("浴溪", "Yuxi"),
    ("城东", "Chengdong"),
    ("城西", "Chengxi"),
    ("新欣", "Xinxin"),
    ("渝水", "Yushui"),
    ("百丈", "Baizhang"),
    ("观巢", "Guanchao"),
    ("罗坊", "Luofang"),
    ("良山", "Liangshan"),
    ("下村", "Xiacun"),
    ("姚圩", "Yaoxu"),
    ("欧里", "Ouli"),
    ("人和", "Renhe"),
    ("界水", "Jieshui"),
    ("南安", "Nan'an"),
    ("鹄山", "Hushan"),
    ("九龙", "Jiulong"),
    ("水北", "Shuibei"),
    ("河下", "Hexia"),
    ("新溪", "Xinxi"),
]
LONGZHOU = ("龙洲社区", "Longzhou Community")


def community_names(n: int) -> list[tuple[str, str]]:
    """``n`` distinct community names (龙洲社区 is placed separately, so it is not in the pool)."""
    pool = [(f"{zh}社区", f"{en} Community") for zh, en in _COMMUNITY_POOL]
    for d_zh, d_en in _DIRS:
        pool += [(f"{zh}{d_zh}社区", f"{en} {d_en} Community") for zh, en in _COMMUNITY_POOL]
    if n > len(pool):
        pool += [(f"第{i}社区", f"Community No. {i}") for i in range(len(pool) + 1, n + 1)]
    return pool[:n]


# -- neighborhoods --------------------------------------------------------------------------------
#: The article's named places: (name, English, kind, model_kind, station, road it is next to,
#: community it must be in).
NAMED_NEIGHBORHOODS = [
    (
        "竹山路地质勘查三小队",
        "Geological Survey Team 3 Compound, Zhushan Road",
        "unit_compound",
        "unit_self_governance",
        "北湖路派出所",
        "竹山路",
        None,
    ),
    ("龙凤花园", "Longfeng Garden", "open", "party_building", "抱石路派出所", "人民北路", None),
    (
        "水榭丽都",
        "Shuixie Lidu",
        "enclosed",
        "party_members_return",
        "珠珊派出所",
        None,
        "龙洲社区",
    ),
    ("玫瑰城", "Rose City", "enclosed", "police_resident", None, None, None),
    ("青泉花园", "Qingquan Garden", "enclosed", "police_resident", None, "青年路", None),
    ("香博丽晶", "Xiangbo Lijing", "enclosed", "police_resident", None, "白竹路", None),
]
_NB_PREFIX = [
    ("阳光", "Yangguang"),
    ("金色", "Jinse"),
    ("翡翠", "Feicui"),
    ("锦绣", "Jinxiu"),
    ("丽景", "Lijing"),
    ("江南", "Jiangnan"),
    ("滨江", "Binjiang"),
    ("东方", "Dongfang"),
    ("盛世", "Shengshi"),
    ("世纪", "Shiji"),
    ("新城", "Xincheng"),
    ("中央", "Zhongyang"),
    ("御景", "Yujing"),
    ("香榭", "Xiangxie"),
    ("书香", "Shuxiang"),
    ("幸福", "Xingfu"),
    ("和谐", "Hexie"),
    ("康城", "Kangcheng"),
    ("名都", "Mingdu"),
    ("紫薇", "Ziwei"),
    ("银湖", "Yinhu"),
    ("湖畔", "Hupan"),
    ("天虹", "Tianhong"),
    ("馨园", "Xinyuan"),
    ("碧水", "Bishui"),
    ("青山", "Qingshan"),
    ("绿洲", "Lüzhou"),
    ("华府", "Huafu"),
    ("凯旋", "Kaixuan"),
    ("恒信", "Hengxin"),
    ("嘉和", "Jiahe"),
    ("欣荣", "Xinrong"),
    ("佳园", "Jiayuan"),
    ("仙来", "Xianlai"),
    ("北湖", "Beihu"),
    ("抱石", "Baoshi"),
    ("袁河", "Yuanhe"),
    ("渝州", "Yuzhou"),
    ("钤阳", "Qianyang"),
    ("秀江", "Xiujiang"),
    ("百合", "Baihe"),
    ("桂园", "Guiyuan"),
    ("枫林", "Fenglin"),
    ("海棠", "Haitang"),
    ("牡丹", "Mudan"),
    ("芙蓉", "Furong"),
    ("兰亭", "Lanting"),
    ("学苑", "Xueyuan"),
    ("城市", "Chengshi"),
    ("时代", "Shidai"),
    ("国际", "Guoji"),
    ("凤凰", "Fenghuang"),
    ("龙腾", "Longteng"),
    ("鑫源", "Xinyuan"),
    ("天一", "Tianyi"),
    ("春晖", "Chunhui"),
    ("朝阳", "Chaoyang"),
    ("水岸", "Shui'an"),
    ("金海", "Jinhai"),
    ("华庭", "Huating"),
]
_NB_SUFFIX = [
    ("花园", "Garden"),
    ("小区", "Estate"),
    ("家园", "Homes"),
    ("苑", "Court"),
    ("名城", "City"),
    ("新村", "New Village"),
    ("雅居", "Residences"),
    ("公馆", "Mansion"),
    ("华庭", "Court"),
    ("嘉园", "Garden"),
    ("山庄", "Villa"),
    ("广场", "Plaza"),
    ("美域", "Meiyu"),
    ("丽都", "Lidu"),
    ("尚城", "Shangcheng"),
]
_UNIT_POOL = [
    ("新钢公司家属区", "Xinyu Steel Staff Housing"),
    ("供电公司宿舍", "Power Supply Co. Housing"),
    ("市二中教师宿舍", "No. 2 Middle School Staff Housing"),
    ("人民医院家属院", "People's Hospital Housing"),
    ("水文站宿舍", "Hydrological Station Housing"),
    ("粮食局宿舍", "Grain Bureau Housing"),
    ("邮政局宿舍", "Post Office Housing"),
    ("税务局宿舍", "Tax Bureau Housing"),
    ("气象局宿舍", "Meteorological Bureau Housing"),
    ("自来水公司宿舍", "Water Co. Housing"),
    ("新余学院教工宿舍", "Xinyu University Staff Housing"),
    ("钢铁厂老宿舍", "Old Steelworks Housing"),
    ("电厂宿舍", "Power Plant Housing"),
    ("林业局宿舍", "Forestry Bureau Housing"),
    ("交通局宿舍", "Transport Bureau Housing"),
    ("农机厂宿舍", "Farm Machinery Works Housing"),
]
_PHASES = [
    ("", ""),
    ("二期", " Phase 2"),
    ("三期", " Phase 3"),
    ("四期", " Phase 4"),
    ("五期", " Phase 5"),
]


def neighborhood_names(rng: np.random.Generator, n: int, n_units: int) -> list[tuple[str, str]]:
    """``n`` distinct compound names; the first ``n_units`` are work-unit compounds (单位小区)."""
    units: list[tuple[str, str]] = []
    for ph_zh, ph_en in _PHASES:
        units += [
            (zh.replace("宿舍", f"{ph_zh}宿舍") if "宿舍" in zh else zh + ph_zh, en + ph_en)
            for zh, en in _UNIT_POOL
        ]
    units = units[:n_units]
    if len(units) < n_units:
        units += [
            (f"第{i}单位宿舍", f"Work-unit Housing No. {i}") for i in range(len(units), n_units)
        ]
    combos = [(a, b) for a in range(len(_NB_PREFIX)) for b in range(len(_NB_SUFFIX))]
    order = rng.permutation(len(combos))
    base = [
        (
            _NB_PREFIX[combos[i][0]][0] + _NB_SUFFIX[combos[i][1]][0],
            f"{_NB_PREFIX[combos[i][0]][1]} {_NB_SUFFIX[combos[i][1]][1]}",
        )
        for i in order
    ]
    reserved = {x[0] for x in NAMED_NEIGHBORHOODS}
    base = [b for b in base if b[0] not in reserved]
    names: list[tuple[str, str]] = []
    for ph_zh, ph_en in _PHASES:
        names += [(zh + ph_zh, en + ph_en) for zh, en in base]
        if len(names) >= n - n_units:
            break
    k = n - n_units
    if len(names) < k:
        names += [(f"第{i}小区", f"Estate No. {i}") for i in range(len(names), k)]
    return units + names[:k]
