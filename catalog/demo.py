"""Deterministic demo catalog: demand directories, institutions, courses and sessions.

:func:`generate_demo` builds the four snapshot tables of :mod:`catalog.schema` for all 31
mainland provinces and their prefecture-level cities. Everything is **demo data** (courses and
institutions carry ``is_demo=True``; every description, subsidy basis and directory source
says so), but it follows published practice closely enough to exercise the matching engine:

- demand directories per province and per city, two or three validity periods each, with the
  urgency tiers 非常紧缺 / 紧缺 / 一般紧缺, subsidies per national level scaled from Xiamen's
  700/1,000/1,500/2,000/3,000 yuan by the region's cost level, shortage and key-occupation
  uplifts, "——" levels (not in the national standard) and "/" levels (not in demand);
- labour-importing provinces emphasise manufacturing, logistics and services, exporting ones
  agriculture, construction, domestic services and returnee entrepreneurship
  (:mod:`catalog.reference.labour`), plus a few regional specialities;
- institutions of every type and grade with outcome counts, courses with varied titles and
  descriptions composed from the occupation's official definition and tasks, fees and
  subsidies from the local directory, eligibility, prerequisites and order/targeted/placement
  employment services, and 1–4 sessions per course in the past, running and upcoming relative
  to ``today``.

Generation is column-wise (numpy choices, per-occupation fragments, strings assembled per chunk
of 25,000 courses), so a million courses take well under two minutes. The only source of
randomness is a :class:`numpy.random.Generator` seeded from ``seed``: the same arguments give
identical tables.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from tqdm import tqdm

from catalog.models import (
    TIER_LABELS,
    CertificateType,
    EmploymentService,
    Group,
    InstitutionGrade,
    InstitutionType,
    Mode,
    UrgencyTier,
)
from catalog.reference.labour import abbreviation, destinations, labour_role, pair_name
from catalog.reference.ladder import SkillLevel
from catalog.reference.occupations import load_occupations
from catalog.reference.regions import MUNICIPALITIES, Region, RegionIndex, load_regions
from catalog.reference.regions import short_name as region_short_name
from catalog.reference.sectors import load_sectors
from catalog.schema import conform, empty_table

logger = logging.getLogger(__name__)

Arr = npt.NDArray[Any]

DEMO_SOURCE: Final = "演示数据（非官方目录）"
DEMO_TAG: Final = "【演示数据，非官方目录】"
CHUNK: Final = 25_000

# --- reference numbers ----------------------------------------------------------------------
# Resident population in millions (2020 census), for spreading courses over provinces.
PROVINCE_POPULATION: Final[dict[str, float]] = {
    "110000": 21.9, "120000": 13.9, "130000": 74.6, "140000": 34.9, "150000": 24.0,
    "210000": 42.6, "220000": 24.1, "230000": 31.9, "310000": 24.9, "320000": 84.7,
    "330000": 64.6, "340000": 61.0, "350000": 41.5, "360000": 45.2, "370000": 101.5,
    "410000": 99.4, "420000": 57.8, "430000": 66.4, "440000": 126.0, "450000": 50.1,
    "460000": 10.1, "500000": 32.1, "510000": 83.7, "520000": 38.6, "530000": 47.2,
    "540000": 3.6, "610000": 39.5, "620000": 25.0, "630000": 5.9, "640000": 7.2,
    "650000": 25.9,
}  # fmt: skip
# Relative training cost level (scales subsidy standards and market fees).
COST_LEVEL: Final[dict[str, float]] = {
    "110000": 1.35, "120000": 1.15, "130000": 0.9, "140000": 0.9, "150000": 0.95,
    "210000": 0.95, "220000": 0.9, "230000": 0.9, "310000": 1.35, "320000": 1.2,
    "330000": 1.2, "340000": 0.95, "350000": 1.1, "360000": 0.9, "370000": 1.0,
    "410000": 0.9, "420000": 1.0, "430000": 0.95, "440000": 1.25, "450000": 0.9,
    "460000": 1.0, "500000": 1.0, "510000": 0.95, "520000": 0.9, "530000": 0.9,
    "540000": 1.05, "610000": 0.95, "620000": 0.85, "630000": 1.0, "640000": 0.9,
    "650000": 1.0,
}  # fmt: skip
MIN_PROVINCE_SHARE: Final = 0.019
XIAMEN_SUBSIDY: Final = (700, 1000, 1500, 2000, 3000)  # national levels 5, 4, 3, 2, 1
BIG_CITIES: Final = frozenset(
    {
        "深圳市", "苏州市", "宁波市", "青岛市", "大连市", "厦门市", "东莞市", "佛山市", "无锡市",
        "温州市", "泉州市", "烟台市", "唐山市", "徐州市", "常州市", "南通市", "潍坊市", "洛阳市",
        "襄阳市", "宜昌市", "绵阳市", "遵义市", "柳州市", "包头市", "鄂尔多斯市", "赣州市",
        "芜湖市", "金华市", "台州市", "嘉兴市", "绍兴市", "珠海市", "惠州市", "中山市", "临沂市",
        "济宁市", "南阳市", "保定市", "邯郸市", "沧州市", "盐城市", "扬州市", "淄博市", "株洲市",
        "岳阳市", "九江市", "榆林市", "曲靖市", "大庆市", "吉林市",
    }
)  # fmt: skip
_PLACEHOLDER_CITIES = frozenset({"省直辖县级行政区划", "自治区直辖县级行政区划"})
_SKIP_WORDS = ("群岛", "海域", "岛礁")
_PLACEHOLDER_PLACES = frozenset({"市辖区", "县"})
_ETHNIC = (
    "土家族", "苗族", "布依族", "侗族", "藏族", "羌族", "彝族", "傣族", "景颇族", "傈僳族",
    "哈尼族", "壮族", "白族", "黎族", "蒙古", "朝鲜族", "回族", "哈萨克", "柯尔克孜", "维吾尔",
    "畲族", "瑶族", "水族", "仡佬族", "纳西族", "拉祜族", "佤族", "仫佬族", "毛南族", "满族",
    "达斡尔族", "鄂温克族", "鄂伦春族", "锡伯族", "撒拉族", "土族", "保安族", "东乡族",
    "裕固族", "普米族", "独龙族", "怒族", "基诺族", "阿昌族", "布朗族", "德昂族", "各族",
)  # fmt: skip

# --- sectors and specialities ---------------------------------------------------------------
SECTOR_KEYS: Final = (
    "advanced_manufacturing",
    "digital_economy",
    "low_altitude",
    "transport",
    "agriculture_rural",
    "life_services",
)
_ADV, _DIG, _LOW, _TRA, _AGR, _LIF = range(6)
ROLE_SECTOR_WEIGHT: Final[dict[str, tuple[float, ...]]] = {
    "importing": (1.35, 1.35, 1.1, 1.25, 0.45, 1.15),
    "exporting": (0.95, 0.9, 0.9, 1.0, 1.5, 1.2),
    "balanced": (1.0, 1.0, 1.0, 1.0, 1.1, 1.0),
}
ROLE_SUBDOMAIN_WEIGHT: Final[dict[str, dict[str, float]]] = {
    "importing": {
        "postal_express": 1.3,
        "general_manufacturing": 1.2,
        "electronics": 1.2,
        "elderly_care": 1.2,
    },
    "exporting": {
        "construction_safety": 1.5,
        "domestic_service": 1.5,
        "ecommerce_new_forms": 1.4,
        "rural_craftsmen": 1.4,
        "rural_talent_leaders": 1.3,
    },
    "balanced": {},
}
# Regional specialities: sub-domain keys or occupation codes weighted up in a province.
SPECIALITIES: Final[dict[str, tuple[str, ...]]] = {
    "110000": ("ai_embodied", "big_data", "digital_engineers", "elderly_care"),
    "120000": ("aerospace", "waterway", "biomedicine"),
    "130000": ("construction_safety", "smart_equipment", "domestic_service"),
    "140000": ("electrical_trades", "domestic_service", "elderly_care"),
    "150000": ("livestock_aquaculture", "agricultural_machinery", "6-28-01-12"),
    "210000": ("smart_equipment", "deep_sea", "general_manufacturing"),
    "220000": ("new_energy_vehicles", "agricultural_machinery"),
    "230000": ("agricultural_machinery", "high_quality_farmers", "agri_processing"),
    "310000": ("aerospace", "biomedicine", "ai_embodied", "electronics"),
    "320000": ("electronics", "biomedicine", "smart_equipment", "next_gen_communications"),
    "330000": ("ecommerce_new_forms", "digital_content", "smart_equipment"),
    "340000": ("new_energy_vehicles", "electronics", "drone_rd_manufacturing"),
    "350000": ("electronics", "deep_sea", "6-02-06-10"),
    "360000": ("drone_rd_manufacturing", "6-24-02-04", "6-28-01-10"),
    "370000": ("high_quality_farmers", "deep_sea", "smart_equipment", "agri_processing"),
    "410000": ("domestic_service", "agri_processing", "construction_safety", "catering"),
    "420000": ("new_energy_vehicles", "next_gen_communications", "waterway"),
    "430000": ("smart_equipment", "railway", "catering"),
    "440000": (
        "electronics",
        "new_energy_vehicles",
        "ecommerce_new_forms",
        "drone_rd_manufacturing",
        "application_scenarios",
    ),
    "450000": ("agri_processing", "waterway", "catering"),
    "460000": ("public_culture_tourism", "hospitality", "5-01-02-04", "5-05-06-03", "waterway"),
    "500000": ("new_energy_vehicles", "electronics", "catering"),
    "510000": ("aerospace", "electronics", "catering", "domestic_service"),
    "520000": ("big_data", "data_security", "heritage_crafts", "public_culture_tourism"),
    "530000": ("public_culture_tourism", "heritage_crafts", "6-02-06-10", "5-01-02-05"),
    "540000": ("heritage_crafts", "public_culture_tourism", "6-09-03-12", "livestock_aquaculture"),
    "610000": ("aerospace", "catering", "high_quality_farmers"),
    "620000": ("5-01-02-05", "rural_energy_environment", "6-28-01-12", "catering"),
    "630000": ("livestock_aquaculture", "public_culture_tourism", "6-24-02-04"),
    "640000": ("high_quality_farmers", "6-24-02-04", "6-28-01-10", "domestic_service"),
    "650000": (
        "agricultural_machinery",
        "5-05-06-02",
        "livestock_aquaculture",
        "public_culture_tourism",
    ),
}
SPECIALITY_WEIGHT: Final = 2.5

# Occupations that subsidised training runs most often (weight multipliers).
POPULAR: Final[dict[str, float]] = {
    "6-31-01-03": 3.0, "6-18-02-04": 3.0, "4-10-01-05": 3.0, "4-10-01-06": 3.0,
    "4-03-02-01": 2.5, "4-03-02-02": 2.5, "4-10-01-03": 2.0, "4-01-06-02": 3.0,
    "4-01-06-01": 2.5, "4-12-01-01": 2.0, "4-10-03-01": 1.5, "4-10-03-02": 1.5,
    "4-07-05-01": 1.5, "4-09-08-01": 1.5, "6-30-05-01": 2.0, "4-02-04-06": 2.5,
    "4-04-05-05": 2.5, "5-05-05-01": 2.0, "5-01-02-01": 1.5, "4-14-01-03": 1.5,
    "4-14-01-02": 2.0, "4-02-07-08": 1.5, "4-10-08-01": 1.3, "6-18-01-07": 2.0,
    "6-31-07-01": 2.0, "4-10-01-01": 1.5, "4-03-02-07": 1.3, "6-29-01-01": 1.3,
    "6-29-04-01": 1.3, "6-29-01-07": 1.5, "4-04-05-03": 1.6, "6-02-01-01": 1.5,
    "4-12-01-03": 1.5, "6-22-02-01": 1.2, "4-12-03-01": 1.2, "4-02-06-01": 1.3,
    "4-07-05-03": 2.0, "6-31-06-00": 1.2, "4-14-02-02": 1.2, "4-10-04-02": 1.3,
    "4-13-01-05": 2.0, "4-14-06-02": 1.3, "4-02-06-03": 1.2,
    "4-04-05-01": 1.3, "4-04-04-02": 1.3, "4-07-02-05": 1.3, "4-04-05-02": 1.2,
}  # fmt: skip
# Subsidised training concentrates on a few dozen occupations (electricians, welders, cooks,
# carers, domestic and e-commerce workers): squaring the multipliers above puts about a quarter
# of all courses in the 20 most common occupations, and each city offers at least
# DISTINCT_SHARE x its course count distinct occupations.
POPULAR_POWER: Final = 2.0
DISTINCT_SHARE: Final = 0.4
MAJOR_WEIGHT: Final[dict[int, float]] = {2: 0.3, 3: 0.6, 4: 1.0, 5: 0.9, 6: 1.0}

# 专项职业能力 items offered for an occupation (first element most common).
SPECIAL_ABILITIES: Final[dict[str, tuple[str, ...]]] = {
    "4-10-01-06": ("母婴护理", "家务服务", "整理收纳", "催乳服务"),
    "4-10-01-03": ("婴幼儿照护", "育婴照护"),
    "4-10-01-01": ("婴幼儿早期发展指导",),
    "4-10-01-05": ("失能老人照护", "老年人照护"),
    "4-14-01-02": ("病患陪护",),
    "4-14-01-03": ("失能人员照护", "产后康复护理"),
    "4-03-02-01": ("地方特色菜制作", "农家菜烹饪", "团餐制作"),
    "4-03-02-02": ("风味小吃制作", "面点制作", "包子制作"),
    "6-02-01-01": ("西点制作", "中式糕点制作"),
    "4-03-02-07": ("茶艺服务",),
    "6-02-06-10": ("手工制茶",),
    "4-01-06-02": ("电商直播", "直播销售"),
    "4-01-06-01": ("农村电商运营", "网店运营"),
    "5-05-05-01": ("农机驾驶操作",),
    "5-05-02-01": ("植保无人机施药",),
    "4-02-04-06": ("无人机航拍", "植保无人机操作"),
    "4-10-03-02": ("美发造型",),
    "4-10-03-01": ("皮肤护理", "化妆造型"),
    "4-10-03-03": ("美甲",),
    "4-10-04-02": ("保健按摩", "小儿推拿"),
    "4-10-04-01": ("艾灸调理", "刮痧调理"),
    "6-31-01-03": ("家装电工",),
    "6-18-02-04": ("二氧化碳气体保护焊", "手工电弧焊"),
    "6-06-03-01": ("木作",),
    "6-29-01-01": ("砌筑",),
    "6-29-04-01": ("家装水电安装", "室内装饰"),
    "6-29-01-07": ("农村住房建设",),
    "6-09-03-11": ("刺绣",),
    "6-09-03-17": ("竹编", "草编"),
    "5-05-06-05": ("竹编",),
    "5-01-02-03": ("食用菌栽培",),
    "5-03-02-01": ("肉牛养殖", "肉羊养殖"),
    "5-03-03-01": ("蜜蜂养殖",),
    "5-03-03-03": ("特种养殖",),
    "4-09-10-01": ("园林绿化养护",),
    "4-09-10-05": ("插花",),
    "4-03-02-08": ("咖啡制作",),
    "4-03-02-10": ("茶饮调制",),
    "4-10-07-03": ("宠物美容",),
    "4-12-01-01": ("汽车美容装潢", "新能源汽车维护"),
    "4-12-01-03": ("新能源汽车动力电池维护",),
    "4-10-08-01": ("即时配送服务",),
    "4-02-07-08": ("快件收派",),
    "4-12-02-01": ("手机维修",),
    "4-12-03-01": ("家电维修",),
    "4-09-08-01": ("家居保洁",),
    "6-30-05-01": ("叉车操作",),
    "6-30-05-05": ("挖掘机操作",),
    "4-10-02-01": ("服装缝制",),
    "6-09-03-01": ("木雕",),
    "6-09-03-03": ("陶艺制作",),
    "4-04-05-05": ("数据标注",),
    "4-03-02-06": ("营养配餐",),
    "5-01-02-02": ("果树修剪", "设施蔬菜种植"),
    "5-01-02-05": ("中药材种植",),
    "5-04-02-01": ("水产养殖",),
    "4-14-06-02": ("民宿服务",),
}
# Province-specific names of a special ability (flavour).
SPECIAL_OVERRIDES: Final[dict[tuple[str, str], str]] = {
    ("4-03-02-02", "620000"): "兰州牛肉拉面制作",
    ("4-03-02-02", "610000"): "陕西面食制作",
    ("4-03-02-02", "450000"): "螺蛳粉制作",
    ("4-03-02-02", "430000"): "湘味小吃制作",
    ("4-03-02-02", "140000"): "山西面食制作",
    ("4-03-02-01", "510000"): "川菜烹饪",
    ("4-03-02-01", "430000"): "湘菜烹饪",
    ("4-03-02-01", "440000"): "粤菜烹饪",
    ("4-03-02-01", "500000"): "渝菜烹饪",
    ("6-09-03-11", "520000"): "苗绣",
    ("6-09-03-11", "320000"): "苏绣",
    ("6-09-03-11", "430000"): "湘绣",
    ("4-10-01-06", "140000"): "吕梁山护工",
    ("6-02-06-10", "350000"): "乌龙茶制作",
    ("6-02-06-10", "530000"): "普洱茶制作",
}

# 2-xx engineering-technician occupations, whose evaluation stops at level 3 in the demo.
_LEVELS_3_ONLY: Final = frozenset({"4-02-05-01", "4-09-08-01", "4-10-08-01", "4-06-01-03"})
_ONLINE_WORDS: Final = (
    "营销", "电子商务", "呼叫", "客户服务", "家庭教育", "健康管理师", "营养师", "在线学习",
    "计调", "供应链", "物流服务师", "老年人能力评估", "食品安全管理师", "连锁经营",
)  # fmt: skip
_HANDS_ON_PREFIXES: Final = (
    "4-04-02", "4-04-03", "4-08-01", "4-08-02", "4-08-03", "4-08-04", "4-08-05", "4-12-",
    "4-10-08", "4-06-01-04",
)  # fmt: skip
# Online-friendly occupations outside the digital ones (safety knowledge, theory-heavy work).
_ONLINE_CODES: Final = frozenset({"6-31-06-00", "2-02-28-03", "4-07-04-04", "4-02-07-11"})
_HANDS_ON_CODES: Final = frozenset(
    {"6-25-04-05", "6-25-04-09", "4-08-09-01", "4-04-05-07", "4-14-05-07"}
)
_DEMANDING_PREFIXES: Final = (
    "6-29-01-02", "6-29-01-03", "6-29-01-04", "6-29-01-05", "6-29-02", "6-30-04-04",
    "4-02-05-01", "6-18-02-01", "6-18-02-02", "5-04-03-02", "6-16-02", "4-02-03-04",
    "3-02-03-08", "4-02-07-08", "4-10-08-01", "6-29-03-01", "6-30-05-02", "5-02-02-00",
    "5-02-03-02", "4-02-04-04",
)  # fmt: skip
_ADULT_CODES: Final = frozenset(
    {
        "4-02-02-01", "4-02-02-02", "6-30-01-00", "4-10-08-02", "6-30-05-01", "6-30-05-02",
        "6-30-05-05", "6-31-01-03", "6-18-02-04", "4-02-02-07", "4-02-03-01", "4-07-05-01",
        "6-29-02-07", "4-02-05-04",
    }
)  # fmt: skip
_OLDER_OK: Final = frozenset(
    {
        "4-09-08-01", "4-07-05-01", "4-09-10-01", "4-10-01-05", "4-10-01-06", "4-14-01-02",
        "4-06-01-03", "5-01-02-01", "5-01-02-02", "5-03-02-01", "5-03-02-02", "5-01-02-03",
        "6-06-03-01", "6-29-01-07", "6-09-03-17", "6-09-03-19", "6-09-03-11", "5-05-06-05",
        "4-11-03-02", "5-05-04-00", "5-02-03-01", "4-03-02-02", "4-10-02-02", "4-09-09-00",
        "4-14-01-03", "4-10-02-01", "5-05-02-01", "6-02-03-01", "6-01-07-03", "6-02-05-08",
    }
)  # fmt: skip
_DRIVER_CODES: Final = frozenset({"4-02-02-01", "4-02-02-02", "6-30-01-00", "4-02-02-07"})
_SPECIAL_OPS: Final = frozenset({"6-31-01-03", "6-18-02-04", "6-30-05-01", "6-30-05-02"})
_ENTREPRENEUR_SUBS: Final = frozenset(
    {
        "ecommerce_new_forms", "high_quality_farmers", "rural_talent_leaders", "catering",
        "beauty_hairdressing", "domestic_service", "hospitality", "livestock_aquaculture",
    }
)  # fmt: skip
_WORK_RELIEF_SUBS: Final = frozenset({"construction_safety", "rural_craftsmen", "road"})


# --- key groups ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _GroupClass:
    title: str
    groups: tuple[Group, ...]
    audience: str
    weight: float


GROUP_CLASSES: Final = (
    _GroupClass("返乡农民工专班", (Group.MIGRANT_WORKER, Group.RURAL), "返乡入乡农民工", 1.5),
    _GroupClass("高校毕业生专班", (Group.GRADUATE, Group.YOUTH), "离校未就业高校毕业生", 1.3),
    _GroupClass("退役军人专班", (Group.VETERAN,), "退役军人", 1.0),
    _GroupClass("残疾人专班", (Group.DISABLED,), "有劳动能力的残疾人", 0.8),
    _GroupClass("失业人员再就业专班", (Group.UNEMPLOYED,), "登记失业人员", 1.2),
    _GroupClass("巾帼技能专班", (Group.WOMAN_RETURNING,), "有就业意愿的妇女", 1.1),
    _GroupClass("企业职工技能提升班", (Group.EMPLOYEE,), "企业在岗职工", 1.0),
    _GroupClass(
        "大龄劳动者专班", (Group.OLDER_WORKER, Group.MIGRANT_WORKER), "40周岁以上大龄劳动者", 1.0
    ),
    _GroupClass("高素质农民培育班", (Group.RURAL,), "从事农业生产经营的农民", 1.2),
    _GroupClass("青年技能专班", (Group.YOUTH, Group.UNEMPLOYED), "失业青年", 0.8),
    _GroupClass("脱贫劳动力专班", (Group.RURAL, Group.MIGRANT_WORKER), "脱贫劳动力和监测对象", 1.0),
)
(
    _G_RETURNEE,
    _G_GRADUATE,
    _G_VETERAN,
    _G_DISABLED,
    _G_UNEMPLOYED,
    _G_WOMEN,
    _G_EMPLOYEE,
    _G_OLDER,
    _G_FARMER,
    _G_YOUTH,
    _G_POVERTY,
) = range(len(GROUP_CLASSES))

# --- labels ----------------------------------------------------------------------------------
# Index k = 5 - national level: 0 初级工 (5) … 4 高级技师 (1).
LEVEL_KEYS: Final = (
    SkillLevel.JUNIOR,
    SkillLevel.INTERMEDIATE,
    SkillLevel.SENIOR,
    SkillLevel.TECHNICIAN,
    SkillLevel.SENIOR_TECHNICIAN,
)
LEVEL_SHORT: Final = ("初级", "中级", "高级", "技师", "高级技师")
LEVEL_FULL: Final = ("初级工", "中级工", "高级工", "技师", "高级技师")
LEVEL_NUM: Final = ("五级", "四级", "三级", "二级", "一级")
TIERS: Final = (UrgencyTier.VERY_SHORT, UrgencyTier.SHORT, UrgencyTier.GENERAL)
INST_TYPES: Final = (
    InstitutionType.TECHNICAL_SCHOOL,
    InstitutionType.VOCATIONAL_COLLEGE,
    InstitutionType.ENTERPRISE,
    InstitutionType.PRIVATE,
    InstitutionType.PUBLIC_BASE,
)
_TECH, _VOC, _ENT, _PRIV, _PUB = range(5)
GRADES: Final = (
    InstitutionGrade.A,
    InstitutionGrade.B,
    InstitutionGrade.C,
    InstitutionGrade.UNGRADED,
)
MODES: Final = (Mode.OFFLINE, Mode.ONLINE, Mode.BLENDED)
_OFF, _ON, _BLE = range(3)
CERTS: Final = (
    CertificateType.SKILL_LEVEL,
    CertificateType.SPECIAL_ABILITY,
    CertificateType.TRAINING,
)
_SKILL, _SPECIAL, _TRAINING = range(3)
SERVICES: Final = (
    EmploymentService.NONE,
    EmploymentService.ORDER,
    EmploymentService.TARGETED,
    EmploymentService.PLACEMENT,
)
_NONE, _ORDER, _TARGETED, _PLACEMENT = range(4)
EDUCATIONS: Final = ("小学", "初中", "高中", "中专", "大专")
_CN_NUM: Final = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")

# --- name material ---------------------------------------------------------------------------
_BRAND_A: Final = tuple(
    "华鑫恒瑞博嘉宏盛泰创新联众亿金天海锦润卓远正德信永安康丰和东中汇通达凯力腾航振启明诚广"
)
_BRAND_B: Final = tuple("达腾通源邦业信航科联兴盛泰越辰昊智成宇润丰利鼎恒峰德明晟锐驰拓瀚创禾益")
_INDUSTRY: Final[tuple[tuple[str, ...], ...]] = (
    ("精密机械", "智能装备", "新能源汽车", "汽车零部件", "电子科技", "半导体", "生物医药",
     "航空部件", "船舶重工", "电气", "模具", "新材料", "光电"),
    ("数据科技", "信息技术", "网络科技", "智能科技", "数字传媒", "软件", "云计算"),
    ("无人机科技", "通用航空", "低空智联", "航空科技", "智能飞行"),
    ("物流", "供应链管理", "交通运输", "快递服务", "港务", "公交", "城际客运", "冷链物流"),
    ("农业科技", "现代农业发展", "生态农业", "农机服务", "果蔬", "畜牧", "茶业", "农产品"),
    ("家政服务", "养老服务", "健康管理", "餐饮管理", "酒店管理", "文化旅游发展", "物业服务",
     "母婴护理"),
)  # fmt: skip
# Industry words of partner companies by sub-domain (fallback: the sector's list above).
SUBDOMAIN_INDUSTRY: Final[dict[str, tuple[str, ...]]] = {
    "smart_equipment": ("智能装备", "自动化设备", "数控机床", "机器人"),
    "aerospace": ("航空部件", "航空工业", "航空装备"),
    "new_energy_vehicles": ("新能源汽车", "汽车零部件", "汽车", "动力电池"),
    "electronics": ("电子科技", "半导体", "光电", "智能终端", "电子"),
    "biomedicine": ("生物医药", "制药", "医疗器械"),
    "biomanufacturing": ("生物科技", "生物工程", "发酵科技"),
    "next_gen_communications": ("通信技术", "光通信", "通信设备"),
    "deep_sea": ("海洋工程", "船舶重工", "海洋科技"),
    "general_manufacturing": ("精密机械", "机械制造", "五金制品", "模具"),
    "electrical_trades": ("电力工程", "电气", "新能源", "电力安装"),
    "construction_safety": ("建设工程", "建筑工程", "建工", "装饰工程"),
    "big_data": ("数据科技", "大数据", "云计算"),
    "ai_embodied": ("智能科技", "人工智能", "机器人"),
    "data_security": ("信息安全", "网络安全", "数据科技"),
    "digital_engineers": ("信息技术", "软件", "数字科技"),
    "digital_skills": ("信息技术", "网络科技", "数字服务"),
    "ecommerce_new_forms": ("电子商务", "网络科技", "直播电商", "供应链管理"),
    "digital_content": ("数字传媒", "文化传媒", "动漫"),
    "drone_rd_manufacturing": ("无人机科技", "航空科技", "智能飞行"),
    "infrastructure_operation": ("低空智联", "通用机场管理", "航空科技"),
    "flight_operation_service": ("通用航空", "无人机科技", "航空服务"),
    "application_scenarios": ("无人机科技", "低空物流", "航空植保"),
    "road": ("交通运输", "汽车运输", "路桥建设", "公路养护"),
    "waterway": ("港务", "航运", "港口物流"),
    "railway": ("轨道交通", "铁路装备", "城际铁路"),
    "civil_aviation": ("航空服务", "机场服务", "航空地面服务"),
    "postal_express": ("快递服务", "速运", "即时配送"),
    "transport_services": ("物流", "供应链管理", "冷链物流"),
    "safety_training": ("安全技术服务", "应急救援服务", "交通运输"),
    "high_quality_farmers": ("现代农业发展", "农业科技", "生态农业"),
    "forestry_grassland": ("林业发展", "生态林业", "园林绿化"),
    "livestock_aquaculture": ("畜牧", "水产养殖", "生态养殖"),
    "agricultural_machinery": ("农机服务", "农业机械", "农机"),
    "agri_processing": ("食品", "农产品加工", "粮油"),
    "rural_craftsmen": ("建设工程", "手工艺品", "乡村建设"),
    "rural_talent_leaders": ("现代农业发展", "农业科技", "乡村旅游"),
    "rural_energy_environment": ("新能源", "环保科技", "环境工程"),
    "elderly_care": ("养老服务", "康养", "健康管理"),
    "domestic_service": ("家政服务", "母婴护理", "家庭服务"),
    "long_term_care": ("护理服务", "康养", "健康管理"),
    "family_carers_disabled_elderly": ("养老服务", "护理服务"),
    "childcare": ("托育服务", "母婴护理", "教育科技"),
    "catering": ("餐饮管理", "食品", "餐饮"),
    "beauty_hairdressing": ("美容美发", "美业", "健康管理"),
    "heritage_crafts": ("文化创意", "手工艺品", "文化发展"),
    "public_culture_tourism": ("文化旅游发展", "旅游", "文化传播"),
    "hospitality": ("酒店管理", "民宿", "旅游"),
    "community_services": ("物业服务", "社区服务", "家庭服务"),
}
_FORMS: Final = ("有限公司", "有限公司", "股份有限公司", "集团有限公司")
_SCHOOL_FIELD: Final[tuple[tuple[str, ...], ...]] = (
    ("机电", "工业", "工贸", "机械"),
    ("信息", "电子", "信息工程"),
    ("航空", "航空工业"),
    ("交通", "交通运输"),
    ("农业", "农林"),
    ("商贸", "旅游", "服务", "财经商贸"),
)
_PRIVATE_FIELD: Final[tuple[tuple[str, ...], ...]] = (
    ("焊接技术", "数控技术", "电工技术", "机电技术"),
    ("电子商务", "计算机", "数字技能"),
    ("无人机驾驶", "航空技术"),
    ("驾驶员", "物流", "交通技能"),
    ("农业技术", "农村实用技术"),
    ("家政", "美容美发", "烹饪", "养老护理", "母婴护理"),
)
_ENTERPRISE_SCHOOL: Final = ("培训中心", "职工培训学校", "技能人才培训基地", "员工培训学院")
_ROADS: Final = (
    "人民路", "解放路", "建设路", "中山路", "工业大道", "科技路", "文化路", "长江路", "黄河路",
    "新华路", "学府路", "创业路", "滨河路", "迎宾大道", "和平路", "胜利路", "朝阳路", "光明路",
    "幸福路", "开发区大道", "产业园路", "职教路", "育才路", "民主路", "团结路", "友谊路", "青年路",
    "振兴路", "兴业路", "高新大道", "湖滨路", "东风路", "北京路", "南京路", "金融街", "锦绣路",
    "花园路", "农科路", "望江路", "临港大道",
)  # fmt: skip
_VENUES: Final = (
    "实训楼{n}层",
    "综合实训中心",
    "{n}号实训车间",
    "技能培训中心{n}楼",
    "",
    "",
)
_SLOGANS: Final[tuple[tuple[str, ...], ...]] = (
    ("技能强国", "大国工匠", "技能中国行动"),
    ("数字技能提升行动", "数字中国"),
    ("低空经济", "飞向蓝天"),
    ("交通强国", "平安交通"),
    ("乡村振兴", "耕耘者振兴计划"),
    ("家门口就业", "幸福家庭服务"),
)
_SECTOR_COST: Final = (1.1, 1.05, 1.15, 1.0, 0.85, 0.9)
_DIR_STYLES: Final = (
    "{name}{year}年职业技能培训需求指导目录",
    "{name}{year}年紧缺职业（工种）目录",
    "{name}急需紧缺职业（工种）目录（{year}年版）",
    "{name}{year}年度职业技能培训补贴目录",
    "{name}{year}年重点产业紧缺技能人才需求目录",
)
# Uplift styles: (非常紧缺 %, 紧缺 %, 一般紧缺 %, key-occupation %).
_UPLIFT_STYLES: Final = ((30, 20, 0, 30), (30, 30, 0, 30), (50, 30, 10, 20), (20, 20, 0, 30))


# =============================================================================================
# helpers
# =============================================================================================
def _round_to(values: Arr, step: int) -> Arr:
    """Round to the nearest multiple of ``step`` (ints)."""
    return (np.rint(np.asarray(values, dtype=np.float64) / step) * step).astype(np.int64)


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _topk_gumbel(rng: np.random.Generator, logw: Arr, k: int) -> Arr:
    """Indices of a weighted sample without replacement (Gumbel top-k), best key first."""
    keys = logw + rng.gumbel(size=logw.shape[0])
    k = min(k, int(np.isfinite(logw).sum()))
    order = np.argsort(-keys, kind="stable")
    return order[:k]


def _pick(rng: np.random.Generator, weights: Arr) -> Arr:
    """One column index per row, chosen with probability proportional to the row's weights."""
    cum = np.cumsum(weights, axis=1)
    total = cum[:, -1]
    if np.any(total <= 0):
        raise ValueError("a row has no positive weight")
    u = rng.random(weights.shape[0]) * total
    chosen: Arr = (cum <= u[:, None]).sum(axis=1).clip(0, weights.shape[1] - 1)
    return chosen


def _masked(values: Arr, mask: Arr, type_: pa.DataType) -> pa.Array:
    """An Arrow array with nulls where ``mask`` and zeros (not sentinels) under the nulls."""
    zero = np.zeros(1, dtype=values.dtype) if values.dtype.kind != "M" else np.datetime64(0, "D")
    return pa.array(np.where(mask, zero, values), mask=mask, type=type_)


def _money(value: int) -> str:
    return f"{value:,}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip_task(task: str, limit: int = 36) -> str:
    """A task shortened at a clause boundary when it is long."""
    if len(task) <= limit:
        return task
    cut = max(task.rfind(p, 0, limit) for p in "，；")
    if cut < 8:
        cut = task.rfind("、", 0, limit)
    return task[:cut] if cut >= 8 else task[: limit - 1] + "…"


def _compact_name(name: str) -> str:
    """Region name for use inside other names: "延边朝鲜族自治州" → "延边州"."""
    for suffix, repl in (("自治州", "州"), ("自治县", "县"), ("自治旗", "旗")):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            cut = min((base.find(e) for e in _ETHNIC if base.find(e) > 0), default=len(base))
            return base[:cut] + repl
    return name


def _short(name: str) -> str:
    """Region name without suffix: "深圳市" → "深圳", "延边州" → "延边"."""
    compact = _compact_name(name)
    if compact != name:
        return compact[:-1]
    return region_short_name(name)


# =============================================================================================
# geography
# =============================================================================================
@dataclass(frozen=True)
class _Geo:
    """Provinces, course units (prefecture-level cities or county-level cities) and places."""

    prov_codes: list[str]
    prov_names: list[str]
    prov_role: list[str]
    unit_codes: list[str]
    unit_names: list[str]  # compact display names ("深圳市", "延边州", "仙桃市")
    unit_short: list[str]
    unit_prov: Arr
    unit_prob: Arr  # share of courses
    unit_county: Arr  # a county-level unit (child of a placeholder city)
    unit_size: Arr  # 0 small, 1 normal, 2 big / capital
    place_start: Arr
    place_count: Arr
    place_codes: list[str]
    place_full: list[str]
    place_names: list[str]
    place_lon: Arr
    place_lat: Arr


def _places_of(regions: RegionIndex, unit: Region) -> list[Region]:
    out = [unit]
    for child in regions.children(unit.code):
        if child.name in _PLACEHOLDER_PLACES or any(w in child.name for w in _SKIP_WORDS):
            continue
        out.append(child)
    return out


def _build_geo(regions: RegionIndex) -> _Geo:
    provinces = regions.provinces()
    total_pop = sum(PROVINCE_POPULATION.values())
    shares = np.array(
        [max(PROVINCE_POPULATION[p.code] / total_pop, MIN_PROVINCE_SHARE) for p in provinces]
    )
    for i, p in enumerate(provinces):
        if p.code in ("110000", "310000"):
            shares[i] *= 1.4  # megacities train far more than their census share
    shares /= shares.sum()
    unit_regions: list[Region] = []
    unit_prov: list[int] = []
    unit_weight: list[float] = []
    unit_county: list[bool] = []
    unit_size: list[int] = []
    for pi, prov in enumerate(provinces):
        for city in regions.cities(prov.code):
            if city.name in _PLACEHOLDER_CITIES or city.name.endswith("（郊县）"):
                for child in regions.children(city.code):
                    if child.name in _PLACEHOLDER_PLACES:
                        continue
                    unit_regions.append(child)
                    unit_prov.append(pi)
                    unit_weight.append(0.45 if child.name.endswith("市") else 0.3)
                    unit_county.append(True)
                    unit_size.append(0)
                continue
            n_children = len(regions.children(city.code))
            size_factor = ((1 + n_children) / 9) ** 0.35
            if prov.code[:2] in MUNICIPALITIES:
                weight, size = 6.0, 2
            elif city.code == prov.code[:2] + "0100":
                weight, size = 4.5, 2
            elif city.name in BIG_CITIES:
                weight, size = 2.6, 2
            elif city.name.endswith(("地区", "自治州", "盟")):
                weight, size = 0.55, 0
            else:
                weight, size = 1.0, 1
            if city.name == "三沙市":
                weight, size_factor = 0.03, 1.0
            unit_regions.append(city)
            unit_prov.append(pi)
            unit_weight.append(weight * size_factor)
            unit_county.append(False)
            unit_size.append(size)
    prov_arr = np.array(unit_prov, dtype=np.int64)
    weight_arr = np.array(unit_weight)
    prob = np.zeros(len(unit_regions))
    for pi in range(len(provinces)):
        mask = prov_arr == pi
        prob[mask] = shares[pi] * weight_arr[mask] / weight_arr[mask].sum()
    prob /= prob.sum()

    place_start: list[int] = []
    place_count: list[int] = []
    place_regions: list[Region] = []
    for unit in unit_regions:
        places = _places_of(regions, unit)
        place_start.append(len(place_regions))
        place_count.append(len(places))
        place_regions.extend(places)
    unit_names = [_compact_name(u.name) for u in unit_regions]
    return _Geo(
        prov_codes=[p.code for p in provinces],
        prov_names=[p.name for p in provinces],
        prov_role=[labour_role(p.code) for p in provinces],
        unit_codes=[u.code for u in unit_regions],
        unit_names=unit_names,
        unit_short=[_short(n) for n in unit_names],
        unit_prov=prov_arr,
        unit_prob=prob,
        unit_county=np.array(unit_county),
        unit_size=np.array(unit_size, dtype=np.int64),
        place_start=np.array(place_start, dtype=np.int64),
        place_count=np.array(place_count, dtype=np.int64),
        place_codes=[r.code for r in place_regions],
        place_full=[regions.full_name(r.code) for r in place_regions],
        place_names=[_compact_name(r.name) for r in place_regions],
        place_lon=np.array(
            [r.longitude if r.longitude is not None else 0.0 for r in place_regions]
        ),
        place_lat=np.array([r.latitude if r.latitude is not None else 0.0 for r in place_regions]),
    )


# =============================================================================================
# occupations
# =============================================================================================
@dataclass(frozen=True)
class _Occ:
    """Per-occupation arrays and text fragments (index = position in ``codes``)."""

    codes: list[str]
    names: list[str]
    definitions: list[str]
    tasks: list[tuple[str, ...]]
    aliases: list[tuple[str, ...]]
    base: Arr  # base weight
    sectors: Arr  # (O, 3) sector indices, -1 padded
    n_sectors: Arr
    sector_mask: Arr  # (O, 6) bool
    sub_names: list[list[str]]  # sub-domain name per listed sector
    industries: list[list[tuple[str, ...]]]  # partner-company industry words per listed sector
    sub_keys: list[frozenset[str]]
    top_level: Arr  # highest national level in the standard (1, 2 or 3)
    not_in_standard: list[tuple[int, ...]]
    online_ok: Arr
    demanding: Arr
    older_ok: Arr
    adult: Arr
    driver: Arr
    special_ops: Arr
    specials: list[tuple[str, ...]]
    flags: dict[str, Arr]
    group_fit: Arr  # (O, K) weights


def _not_in_standard(code: str) -> tuple[int, ...]:
    major = int(code[0])
    h = _crc(code) % 10
    if major == 2 or code in _LEVELS_3_ONLY:
        return (2, 1)
    if major == 4:
        return (2, 1) if h < 3 else (1,) if h < 6 else ()
    if major == 5:
        return (1,) if h < 4 else ()
    if major == 6:
        return (1,) if h < 2 else ()
    return ()


def _clean_alias(alias: str, name: str) -> bool:
    return (
        2 <= len(alias) <= 8
        and alias != name
        and all("\u4e00" <= ch <= "\u9fff" for ch in alias)
        and not any(w in alias for w in ("经理", "总监", "主管", "专员", "助理", "顾问"))
    )


def _build_occupations() -> _Occ:
    index = load_occupations()
    sectors = load_sectors()
    keys = [s.key for s in sectors]
    if tuple(keys) != SECTOR_KEYS:
        raise ValueError(f"unexpected sectors {keys}")
    memberships: dict[str, list[tuple[int, str, str]]] = {}
    for si, sector in enumerate(sectors):
        for sub in sector.subdomains:
            for code in sub.occupations:
                entry = memberships.setdefault(code, [])
                if not any(m[0] == si for m in entry):
                    entry.append((si, sub.name, sub.key))
                else:
                    entry.append((-1, sub.name, sub.key))
    codes = sorted(memberships)
    n = len(codes)
    names: list[str] = []
    definitions: list[str] = []
    tasks: list[tuple[str, ...]] = []
    aliases: list[tuple[str, ...]] = []
    base = np.zeros(n)
    sec = np.full((n, 3), -1, dtype=np.int64)
    n_sec = np.zeros(n, dtype=np.int64)
    mask = np.zeros((n, 6), dtype=bool)
    sub_names: list[list[str]] = []
    industries: list[list[tuple[str, ...]]] = []
    sub_keys: list[frozenset[str]] = []
    top = np.zeros(n, dtype=np.int64)
    nis: list[tuple[int, ...]] = []
    online_ok = np.zeros(n, dtype=bool)
    demanding = np.zeros(n, dtype=bool)
    older_ok = np.zeros(n, dtype=bool)
    adult = np.zeros(n, dtype=bool)
    driver = np.zeros(n, dtype=bool)
    special_ops = np.zeros(n, dtype=bool)
    specials: list[tuple[str, ...]] = []
    for i, code in enumerate(codes):
        occ = index.get(code)
        if occ is None or not occ.is_leaf:
            raise ValueError(f"sectors.toml lists {code}, not a leaf occupation")
        names.append(occ.name)
        definition = occ.definition.strip() or f"从事{occ.name}相关工作的人员。"
        if not definition.endswith("。"):
            definition += "。"
        definitions.append(_cut(definition, 160))
        tasks.append(tuple(_clip_task(t) for t in occ.tasks))
        aliases.append(tuple(a for a in occ.aliases if _clean_alias(a, occ.name))[:4])
        major = int(code[0])
        base[i] = MAJOR_WEIGHT.get(major, 0.8) * POPULAR.get(code, 1.0) ** POPULAR_POWER
        listed = [m for m in memberships[code] if m[0] >= 0]
        for j, (si, _, _) in enumerate(listed[:3]):
            sec[i, j] = si
            mask[i, si] = True
        n_sec[i] = min(len(listed), 3)
        sub_names.append([m[1].split("：")[-1] for m in listed[:3]])
        industries.append([SUBDOMAIN_INDUSTRY.get(m[2], _INDUSTRY[m[0]]) for m in listed[:3]])
        sub_keys.append(frozenset(m[2] for m in memberships[code]))
        nis.append(_not_in_standard(code))
        top[i] = 1 if not nis[-1] else min(set(range(1, 6)) - set(nis[-1]))
        in_digital = mask[i, _DIG]
        hands_on = code.startswith(_HANDS_ON_PREFIXES) or code in _HANDS_ON_CODES or major == 6
        online_ok[i] = code in _ONLINE_CODES or (
            not hands_on
            and (
                in_digital
                or (occ.digital and major in (2, 4))
                or any(w in occ.name for w in _ONLINE_WORDS)
            )
        )
        demanding[i] = code.startswith(_DEMANDING_PREFIXES)
        older_ok[i] = code in _OLDER_OK and not demanding[i]
        adult[i] = code in _ADULT_CODES
        driver[i] = code in _DRIVER_CODES
        special_ops[i] = code in _SPECIAL_OPS
        specials.append(SPECIAL_ABILITIES.get(code, ()))
    subs = sub_keys

    def has_sub(*wanted: str) -> Arr:
        return np.array([bool(s.intersection(wanted)) for s in subs])

    def in_codes(*wanted: str) -> Arr:
        return np.array([c in wanted for c in codes])

    flags = {
        "rural_craft": has_sub("rural_craftsmen"),
        "care": has_sub("elderly_care", "long_term_care", "family_carers_disabled_elderly"),
        "domestic": has_sub("domestic_service", "childcare"),
        "ecom": has_sub("ecommerce_new_forms") & in_codes("4-01-06-01", "4-01-06-02"),
        "tourism": has_sub("public_culture_tourism", "hospitality"),
        "heritage": has_sub("heritage_crafts"),
        "entre": np.array([bool(s & _ENTREPRENEUR_SUBS) for s in subs]),
        "work_relief": np.array([bool(s & _WORK_RELIEF_SUBS) for s in subs]),
        "construction": has_sub("construction_safety"),
    }
    majors = np.array([int(c[0]) for c in codes])
    k = len(GROUP_CLASSES)
    fit = np.zeros((n, k))
    fit[:, _G_RETURNEE] = (
        mask[:, _AGR]
        | has_sub("construction_safety", "domestic_service", "catering", "ecommerce_new_forms")
        | has_sub("postal_express", "road")
    )
    fit[:, _G_GRADUATE] = mask[:, _DIG] | (majors == 2) | mask[:, _LOW] | has_sub("civil_aviation")
    fit[:, _G_VETERAN] = in_codes(
        "4-07-05-01", "4-07-05-02", "4-07-05-03", "3-02-03-08", "4-02-04-06", "4-02-04-04",
        "4-02-02-01", "4-02-02-02", "6-30-01-00", "4-02-07-08", "6-31-01-03", "4-02-06-01",
        "4-02-06-03", "6-30-05-01", "4-10-08-02", "6-31-06-00", "4-04-04-02",
    ) | has_sub("flight_operation_service")  # fmt: skip
    fit[:, _G_DISABLED] = in_codes(
        "4-10-04-02", "4-10-04-01", "4-04-05-03", "4-01-06-01", "4-01-06-02", "4-03-02-02",
        "6-02-01-01", "4-04-05-05", "4-13-01-05", "4-03-02-07", "4-03-02-08", "5-05-06-05",
        "6-09-03-17", "6-09-03-11", "6-09-03-01", "4-08-08-08", "4-04-05-01", "4-13-01-06",
    )  # fmt: skip
    fit[:, _G_UNEMPLOYED] = (majors == 4) | ((majors == 6) & ~demanding)
    fit[:, _G_WOMEN] = has_sub(
        "domestic_service", "childcare", "elderly_care", "beauty_hairdressing", "long_term_care"
    ) | in_codes("6-09-03-11", "4-03-02-07", "4-09-10-05", "4-01-06-02", "6-02-01-01")
    fit[:, _G_EMPLOYEE] = mask[:, _ADV] | mask[:, _TRA] | mask[:, _DIG] | mask[:, _LOW]
    fit[:, _G_OLDER] = older_ok
    fit[:, _G_FARMER] = mask[:, _AGR]
    fit[:, _G_YOUTH] = ((majors == 4) | (majors == 6) | mask[:, _DIG] | mask[:, _LOW]) & (
        majors != 2
    )
    fit[:, _G_POVERTY] = fit[:, _G_RETURNEE] + older_ok
    fit = (fit > 0) * np.array([g.weight for g in GROUP_CLASSES])
    return _Occ(
        codes=codes,
        names=names,
        definitions=definitions,
        tasks=tasks,
        aliases=aliases,
        base=base,
        sectors=sec,
        n_sectors=n_sec,
        sector_mask=mask,
        sub_names=sub_names,
        industries=industries,
        sub_keys=sub_keys,
        top_level=top,
        not_in_standard=nis,
        online_ok=online_ok,
        demanding=demanding,
        older_ok=older_ok,
        adult=adult,
        driver=driver,
        special_ops=special_ops,
        specials=specials,
        flags=flags,
        group_fit=fit,
    )


def _province_weights(geo: _Geo, occ: _Occ) -> Arr:
    """(P, O) relative weight of each occupation in each province (role and specialities)."""
    n_prov, n_occ = len(geo.prov_codes), len(occ.codes)
    out = np.zeros((n_prov, n_occ))
    code_pos = {c: i for i, c in enumerate(occ.codes)}
    known_subs = {sub.key for s in load_sectors() for sub in s.subdomains}
    for pi, pcode in enumerate(geo.prov_codes):
        role = geo.prov_role[pi]
        sector_w = np.array(ROLE_SECTOR_WEIGHT[role])
        # An occupation in several sectors takes its most favoured sector's weight.
        w = np.where(occ.sector_mask, sector_w[None, :], 0.0).max(axis=1)
        sub_w = ROLE_SUBDOMAIN_WEIGHT[role]
        for i, keys in enumerate(occ.sub_keys):
            factor = max((sub_w.get(k, 1.0) for k in keys), default=1.0)
            w[i] *= factor
        for item in SPECIALITIES.get(pcode, ()):
            if item in code_pos:
                w[code_pos[item]] *= SPECIALITY_WEIGHT
            elif item in known_subs:
                hit = np.array([item in keys for keys in occ.sub_keys])
                w[hit] *= SPECIALITY_WEIGHT
            else:
                raise ValueError(f"speciality {item!r} of {pcode} is neither a sub-domain nor code")
        out[pi] = occ.base * w
    return out


# =============================================================================================
# demand directories
# =============================================================================================
@dataclass
class _Lookup:
    """The directory in force on ``today`` per region (units first, then provinces)."""

    tier: Arr  # (R, O) int8, -1 not listed
    base: Arr  # (R, O, 5) int32 base subsidy per level index, -1 "/" or "——"
    shortage: Arr  # (R, O) int16
    key_pct: Arr  # (R, O) int16, 0 when not a key occupation
    title: list[str]  # (R) the directory's name


@dataclass
class _DemandRows:
    region: list[Arr]
    occupation: list[Arr]
    tier: list[Arr]
    subsidy: list[Arr]
    shortage: list[Arr]
    key: list[Arr]
    key_pct: list[Arr]
    valid_from: list[Arr]
    valid_to: list[Arr]
    source: list[Arr]


def _period_entries(
    rng: np.random.Generator,
    keys: Arr,
    k: int,
    base_levels: Arr,
    occ: _Occ,
    style: tuple[int, int, int, int],
) -> tuple[Arr, Arr, Arr, Arr, Arr, Arr]:
    """Occupations, tiers, subsidies (k, 5), shortage %, key flags and key % of one period."""
    order = np.argsort(-keys, kind="stable")[:k]
    order = order[np.isfinite(keys[order])]
    k = order.shape[0]
    n_vs = max(1, round(0.15 * k))
    n_s = max(1, round(0.35 * k))
    tier = np.full(k, 2, dtype=np.int8)
    tier[:n_vs] = 0
    tier[n_vs : n_vs + n_s] = 1
    # Swap a few neighbours so tiers are not a pure function of rank.
    swap = rng.random(k) < 0.1
    tier = np.where(swap, np.roll(tier, 1), tier)
    tier[:1] = 0
    tier[-1:] = 2
    if not np.any(tier == 1):
        tier[k // 2] = 1
    primary = occ.sectors[order, 0]
    cost = np.array(_SECTOR_COST)[primary]
    subsidy = _round_to(base_levels[None, :] * cost[:, None], 50)
    # "/" (not in demand): the top one or two levels of some entries, level 5 of a few.
    top_slash = rng.choice(3, size=k, p=[0.55, 0.3, 0.15])
    slash = (np.arange(5)[None, :] >= 5 - top_slash[:, None]) | (
        (np.arange(5)[None, :] == 0) & (rng.random(k) < 0.05)[:, None]
    )
    top = occ.top_level[order]  # highest level in standard
    national = 5 - np.arange(5)[None, :]
    not_std = national < top[:, None]
    none = slash | not_std
    all_none = none.all(axis=1)
    none[all_none, 0] = False
    subsidy = np.where(none, -1, subsidy)
    shortage = np.array(style[:3], dtype=np.int64)[tier]
    key = rng.random(k) < np.array([0.25, 0.1, 0.03])[tier]
    key_pct = np.where(key, style[3], 0)
    return order, tier, subsidy, shortage, key, key_pct


def _build_demand(
    rng: np.random.Generator, geo: _Geo, occ: _Occ, prov_w: Arr, today: date
) -> tuple[pa.Table, _Lookup]:
    n_units, n_prov, n_occ = len(geo.unit_codes), len(geo.prov_codes), len(occ.codes)
    n_regions = n_units + n_prov
    lookup = _Lookup(
        tier=np.full((n_regions, n_occ), -1, dtype=np.int8),
        base=np.full((n_regions, n_occ, 5), -1, dtype=np.int32),
        shortage=np.zeros((n_regions, n_occ), dtype=np.int16),
        key_pct=np.zeros((n_regions, n_occ), dtype=np.int16),
        title=[""] * n_regions,
    )
    rows = _DemandRows([], [], [], [], [], [], [], [], [], [])
    year = today.year
    prov_style = rng.integers(0, len(_UPLIFT_STYLES), size=n_prov)
    today64 = np.datetime64(today, "D")
    for r in range(n_regions):
        if r < n_units:
            pi = int(geo.unit_prov[r])
            code, name = geo.unit_codes[r], geo.unit_names[r]
            size = int(geo.unit_size[r])
            k = int(rng.integers(*((25, 51), (45, 91), (80, 131))[size]))
            factor = COST_LEVEL[geo.prov_codes[pi]] * rng.uniform(0.92, 1.08)
            noise = rng.normal(0.0, 0.6, size=n_occ)
            midyear = rng.random() < 0.2
            style_i = int(prov_style[pi]) if rng.random() < 0.8 else int(rng.integers(0, 4))
        else:
            pi = r - n_units
            code, name = geo.prov_codes[pi], geo.prov_names[pi]
            k = int(rng.integers(140, 221))
            factor = COST_LEVEL[code]
            noise = rng.normal(0.0, 0.3, size=n_occ)
            midyear = rng.random() < 0.1
            style_i = int(prov_style[pi])
        style = _UPLIFT_STYLES[style_i]
        base_levels = _round_to(np.array(XIAMEN_SUBSIDY) * factor, 50).astype(np.float64)
        title_style = _DIR_STYLES[int(rng.integers(0, len(_DIR_STYLES)))]
        logw = np.log(prov_w[pi]) + noise
        keys = logw + rng.gumbel(size=n_occ)
        month = int(rng.choice([1, 1, 1, 1, 1, 1, 3, 4]))
        cur_from = date(year, month, 1)
        old_from = date(year - 1, month, 1)
        cur_end: date | None = date(year + 1, month, 1) - timedelta(days=1)
        if rng.random() < (0.15 if r >= n_units else 0.05):
            cur_end = None  # "长期有效，动态调整"
        periods: list[tuple[date, date | None, Arr, int, float, str]] = [
            (
                old_from,
                cur_from - timedelta(days=1),
                keys + rng.normal(0.0, 1.0, size=n_occ),
                max(20, int(k * rng.uniform(0.75, 0.95))),
                0.9,
                title_style.format(name=name, year=year - 1),
            )
        ]
        cur_title = title_style.format(name=name, year=year)
        if midyear and month < 7:
            periods.append((cur_from, date(year, 6, 30), keys, k, 1.0, cur_title))
            periods.append(
                (
                    date(year, 7, 1),
                    cur_end,
                    keys + rng.normal(0.0, 0.5, size=n_occ),
                    int(k * rng.uniform(1.0, 1.15)),
                    1.0,
                    cur_title + "（7月调整版）",
                )
            )
        else:
            periods.append((cur_from, cur_end, keys, k, 1.0, cur_title))
        for valid_from, valid_to, pkeys, pk, scale, title in periods:
            sel, tier, subsidy, shortage, key, key_pct = _period_entries(
                rng, pkeys, pk, base_levels * scale, occ, style
            )
            m = sel.shape[0]
            source = f"{title}｜{DEMO_SOURCE}"
            rows.region.append(np.full(m, code, dtype=object))
            rows.occupation.append(sel)
            rows.tier.append(tier)
            rows.subsidy.append(subsidy)
            rows.shortage.append(shortage)
            rows.key.append(key)
            rows.key_pct.append(key_pct)
            rows.valid_from.append(np.full(m, np.datetime64(valid_from, "D")))
            rows.valid_to.append(
                np.full(m, np.datetime64(valid_to, "D") if valid_to else np.datetime64("NaT"))
            )
            rows.source.append(np.full(m, source, dtype=object))
            in_force = np.datetime64(valid_from, "D") <= today64 and (
                valid_to is None or today64 <= np.datetime64(valid_to, "D")
            )
            if in_force:
                lookup.tier[r, sel] = tier
                lookup.base[r, sel] = subsidy
                lookup.shortage[r, sel] = shortage
                lookup.key_pct[r, sel] = key_pct
                lookup.title[r] = title
    return _demand_table(rows, occ), lookup


def _demand_table(rows: _DemandRows, occ: _Occ) -> pa.Table:
    occ_idx = np.concatenate(rows.occupation)
    subsidy = np.concatenate(rows.subsidy)
    tier = np.concatenate(rows.tier).astype(np.int64)
    codes = pa.array(occ.codes)
    nis_values: list[tuple[int, ...]] = occ.not_in_standard
    valid_to = np.concatenate(rows.valid_to)
    columns: dict[str, pa.Array] = {
        "region_code": pa.array(np.concatenate(rows.region).tolist(), type=pa.string()),
        "occupation_code": codes.take(pa.array(occ_idx)),
        "tier": pa.array([t.value for t in TIERS]).take(pa.array(tier)),
    }
    for j, lv in enumerate((5, 4, 3, 2, 1)):
        col = subsidy[:, j]
        columns[f"subsidy_l{lv}"] = _masked(col, col < 0, pa.int32())
    columns["not_in_standard"] = pa.array(
        [nis_values[i] for i in occ_idx.tolist()], type=pa.list_(pa.int8())
    )
    columns["shortage_uplift_pct"] = pa.array(np.concatenate(rows.shortage), type=pa.int16())
    columns["key_occupation"] = pa.array(np.concatenate(rows.key), type=pa.bool_())
    columns["key_uplift_pct"] = pa.array(np.concatenate(rows.key_pct), type=pa.int16())
    columns["valid_from"] = pa.array(np.concatenate(rows.valid_from), type=pa.date32())
    columns["valid_to"] = _masked(valid_to, np.isnat(valid_to), pa.date32())
    columns["source"] = pa.array(np.concatenate(rows.source).tolist(), type=pa.string())
    return conform("demand", pa.table(columns))


# =============================================================================================
# course allocation and institutions
# =============================================================================================
def _allocate(
    rng: np.random.Generator, geo: _Geo, occ: _Occ, prov_w: Arr, lookup: _Lookup, n: int
) -> tuple[Arr, Arr, Arr]:
    """Unit and occupation of each course (grouped by unit), and per-unit course counts."""
    n_units = len(geo.unit_codes)
    counts = rng.multinomial(n, geo.unit_prob)
    unit = np.repeat(np.arange(n_units), counts)
    occupation = np.empty(n, dtype=np.int64)
    city_mult = np.array([4.0, 3.0, 2.0])
    prov_mult = np.array([2.2, 1.8, 1.5])
    start = 0
    for u in range(n_units):
        c = int(counts[u])
        if c == 0:
            continue
        pi = int(geo.unit_prov[u])
        tier_c = lookup.tier[u].astype(np.int64)
        tier_p = lookup.tier[n_units + pi].astype(np.int64)
        mult = np.where(
            tier_c >= 0,
            city_mult[tier_c.clip(0)],
            np.where(tier_p >= 0, prov_mult[tier_p.clip(0)], 1.0),
        )
        w = prov_w[pi] * mult
        distinct = min(math.ceil(DISTINCT_SHARE * c), w.shape[0] // 2)
        first = _topk_gumbel(rng, np.log(w), distinct)
        rest = rng.choice(w.shape[0], size=c - first.shape[0], p=w / w.sum())
        occupation[start : start + c] = rng.permutation(np.concatenate([first, rest]))
        start += c
    return unit, occupation, counts


@dataclass
class _Institutions:
    unit: Arr
    type: Arr
    specialty: Arr
    place: Arr  # global place index
    names: list[str]
    brand: list[str]  # short name used in titles ("东莞鑫达")
    company: list[str]  # enterprise's company name ("" for others)
    lon: Arr
    lat: Arr
    address: list[str]
    table: pa.Table


_TYPE_P: Final = np.array([0.13, 0.15, 0.22, 0.44, 0.06])
_SPECIALTY_P: Final = np.array(
    [
        [0.45, 0.12, 0.05, 0.15, 0.06, 0.17],
        [0.25, 0.18, 0.05, 0.12, 0.15, 0.25],
        [0.45, 0.15, 0.07, 0.18, 0.07, 0.08],
        [0.08, 0.22, 0.05, 0.10, 0.12, 0.43],
        [0.30, 0.15, 0.05, 0.10, 0.15, 0.25],
    ]
)
_AFFINITY: Final = np.array([[3.0, 0.6], [2.0, 0.8], [5.0, 0.03], [4.0, 0.25], [1.5, 1.0]])


# Names of schools and bases that do not carry a brand, when the plain ones are taken.
_BRANDED_NAMES: Final[dict[int, str]] = {
    _TECH: "{unit}{brand}技工学校",
    _VOC: "{unit}{brand}职业技术学校",
    _PUB: "{short}{brand}产业园公共实训基地",
}


def _institution_name(
    rng: np.random.Generator,
    kind: int,
    specialty: int,
    unit_name: str,
    unit_short: str,
    place_name: str,
    county_unit: bool,
    counters: dict[int, int],
    brand: str,
) -> tuple[str, str]:
    """A realistic name (and the company name for enterprises)."""
    nth = counters.get(kind, 0)
    counters[kind] = nth + 1
    field = _SCHOOL_FIELD[specialty][int(rng.integers(0, len(_SCHOOL_FIELD[specialty])))]
    if kind == _TECH:
        if county_unit:
            if nth == 0:
                return f"{unit_name}技工学校", ""
            if nth == 1:
                return f"{unit_name}{field}技工学校", ""
            return f"{unit_name}第{_CN_NUM[nth % 10]}技工学校", ""
        if nth == 0:
            return f"{unit_name}技师学院", ""
        if nth == 1:
            return f"{unit_name}高级技工学校", ""
        if nth % 2 == 0:
            return f"{unit_name}{field}技工学校", ""
        return f"{unit_name}第{_CN_NUM[(nth // 2) % 10]}高级技工学校", ""
    if kind == _VOC:
        if county_unit or (place_name != unit_name and nth % 3 == 0):
            return f"{place_name}职业教育中心", ""
        choices = (
            f"{unit_name}职业技术学院",
            f"{unit_name}{field}职业学院",
            f"{unit_name}中等职业学校",
            f"{unit_name}第{_CN_NUM[(nth // 4) % 10]}职业中等专业学校",
        )
        return choices[nth % 4], ""
    if kind == _ENT:
        industries = _INDUSTRY[specialty]
        industry = industries[int(rng.integers(0, len(industries)))]
        form = _FORMS[int(rng.integers(0, len(_FORMS)))]
        company = f"{unit_short}{brand}{industry}{form}"
        school = _ENTERPRISE_SCHOOL[int(rng.integers(0, len(_ENTERPRISE_SCHOOL)))]
        return f"{company}{school}", company
    if kind == _PRIV:
        fields = _PRIVATE_FIELD[specialty]
        pfield = fields[int(rng.integers(0, len(fields)))]
        style = int(rng.integers(0, 4))
        if style == 0 and place_name != unit_name:
            return f"{place_name}{brand}职业培训学校", ""
        if style == 1:
            return f"{unit_name}{brand}职业技能培训学校有限公司", ""
        if style == 2:
            return f"{unit_short}{brand}{pfield}培训学校", ""
        return f"{unit_name}{brand}{pfield}职业培训学校", ""
    # public training base
    if nth == 0 and not county_unit:
        return f"{unit_name}公共实训基地", ""
    if nth == 1 and not county_unit:
        return f"{unit_name}高技能人才公共实训基地", ""
    sector_name = ("先进制造", "数字技能", "低空经济", "交通运输", "乡村振兴", "生活服务")[
        specialty
    ]
    if place_name != unit_name and nth % 2 == 0:
        return f"{place_name}公共实训中心", ""
    return f"{unit_name}{sector_name}公共实训基地", ""


def _build_institutions(
    rng: np.random.Generator, geo: _Geo, counts: Arr, courses_per_institution: float
) -> _Institutions:
    n_units = len(geo.unit_codes)
    per_unit = np.maximum(2, np.rint(counts / courses_per_institution).astype(np.int64))
    total = int(per_unit.sum())
    unit = np.repeat(np.arange(n_units), per_unit)
    kind = rng.choice(5, size=total, p=_TYPE_P)
    firsts = np.concatenate([[0], np.cumsum(per_unit)[:-1]])
    kind[firsts] = np.where(geo.unit_county, _VOC, _PUB)
    kind[firsts + 1] = np.where(geo.unit_county, _PRIV, _TECH)
    specialty = np.empty(total, dtype=np.int64)
    for t in range(5):
        m = kind == t
        specialty[m] = rng.choice(6, size=int(m.sum()), p=_SPECIALTY_P[t])
    # Place: the unit itself or one of its counties.
    pcount = geo.place_count[unit]
    local = np.where(
        (rng.random(total) < 0.4) & (pcount > 1),
        1 + (rng.random(total) * (pcount - 1)).astype(np.int64),
        0,
    )
    local = np.where(kind == _PRIV, np.where(rng.random(total) < 0.5, local, 0), local)
    place = geo.place_start[unit] + local
    brand_a = rng.integers(0, len(_BRAND_A), size=total)
    brand_b = rng.integers(0, len(_BRAND_B), size=total)
    names: list[str] = []
    companies: list[str] = []
    brands: list[str] = []
    seen: set[str] = set()
    counters: dict[int, int] = {}
    current_unit = -1
    unit_list = unit.tolist()
    kind_list = kind.tolist()
    spec_list = specialty.tolist()
    place_list = place.tolist()
    for i in range(total):
        u = unit_list[i]
        if u != current_unit:
            counters = {}
            current_unit = u
        brand = _BRAND_A[brand_a[i]] + _BRAND_B[brand_b[i]]
        for attempt in range(8):
            fallback = _BRANDED_NAMES.get(kind_list[i]) if attempt else None
            if fallback is None:
                name, company = _institution_name(
                    rng,
                    kind_list[i],
                    spec_list[i],
                    geo.unit_names[u],
                    geo.unit_short[u],
                    geo.place_names[place_list[i]],
                    bool(geo.unit_county[u]),
                    counters,
                    brand,
                )
            else:
                name = fallback.format(
                    unit=geo.unit_names[u],
                    short=geo.unit_short[u],
                    place=geo.place_names[place_list[i]],
                    brand=brand,
                )
            if name not in seen:
                break
            brand = (
                _BRAND_A[int(rng.integers(0, len(_BRAND_A)))]
                + _BRAND_B[int(rng.integers(0, len(_BRAND_B)))]
            )
        else:
            name = f"{name}（{geo.place_names[place_list[i]]}校区{i}）"
        seen.add(name)
        names.append(name)
        companies.append(company)
        brands.append(geo.unit_short[u] + brand)
    # Grades and outcomes.
    grade_p = np.array(
        [
            [0.35, 0.40, 0.15, 0.10],
            [0.30, 0.40, 0.15, 0.15],
            [0.25, 0.35, 0.15, 0.25],
            [0.12, 0.33, 0.30, 0.25],
            [0.45, 0.35, 0.10, 0.10],
        ]
    )
    grade = np.empty(total, dtype=np.int64)
    for t in range(5):
        m = kind == t
        grade[m] = rng.choice(4, size=int(m.sum()), p=grade_p[t])
    median = np.array([900.0, 700.0, 300.0, 150.0, 1200.0])[kind]
    trained = np.maximum(20, np.rint(median * rng.lognormal(0.0, 0.7, size=total))).astype(np.int64)
    small = rng.random(total) < 0.08
    trained = np.where(small, rng.integers(3, 20, size=total), trained)
    grade = np.where(small & (rng.random(total) < 0.7), 3, grade)
    cert_rate = np.array([0.9, 0.82, 0.7, 0.74])[grade] + rng.normal(0, 0.04, size=total)
    emp3_rate = np.array([0.72, 0.62, 0.5, 0.55])[grade] + rng.normal(0, 0.06, size=total)
    emp3_rate = np.where(kind == _ENT, emp3_rate + 0.2, emp3_rate)
    emp6_rate = emp3_rate + rng.uniform(0.03, 0.12, size=total)
    certified = rng.binomial(trained, cert_rate.clip(0.2, 0.99))
    employed_3m = rng.binomial(trained, emp3_rate.clip(0.1, 0.98))
    employed_6m = np.minimum(
        trained, np.maximum(employed_3m, rng.binomial(trained, emp6_rate.clip(0.1, 0.99)))
    )
    roads = rng.integers(0, len(_ROADS), size=total).tolist()
    numbers = rng.integers(1, 999, size=total).tolist()
    address = [
        f"{geo.place_full[p]}{_ROADS[r]}{no}号"
        for p, r, no in zip(place_list, roads, numbers, strict=True)
    ]
    lon = geo.place_lon[place] + rng.normal(0.0, 0.012, size=total)
    lat = geo.place_lat[place] + rng.normal(0.0, 0.01, size=total)
    ids = [f"DEMO-I{i + 1:07d}" for i in range(total)]
    table = pa.table(
        {
            "institution_id": pa.array(ids),
            "name": pa.array(names),
            "type": pa.array([t.value for t in INST_TYPES]).take(pa.array(kind)),
            "grade": pa.array([g.value for g in GRADES]).take(pa.array(grade)),
            "region_code": pa.array([geo.place_codes[p] for p in place_list]),
            "address": pa.array(address),
            "trained": pa.array(trained, type=pa.int32()),
            "certified": pa.array(certified, type=pa.int32()),
            "employed_3m": pa.array(employed_3m, type=pa.int32()),
            "employed_6m": pa.array(employed_6m, type=pa.int32()),
            "is_demo": pa.array(np.ones(total, dtype=bool)),
        }
    )
    return _Institutions(
        unit=unit,
        type=kind,
        specialty=specialty,
        place=place,
        names=names,
        brand=brands,
        company=companies,
        lon=lon,
        lat=lat,
        address=address,
        table=conform("institutions", table),
    )


def _assign_institutions(
    rng: np.random.Generator, inst: _Institutions, unit: Arr, sector: Arr, n_units: int
) -> Arr:
    """An institution for every course, in its unit, by type/speciality affinity."""
    out = np.empty(unit.shape[0], dtype=np.int64)
    inst_bounds = np.searchsorted(inst.unit, np.arange(n_units + 1))
    course_bounds = np.searchsorted(unit, np.arange(n_units + 1))
    for u in range(n_units):
        c0, c1 = int(course_bounds[u]), int(course_bounds[u + 1])
        if c0 == c1:
            continue
        i0, i1 = int(inst_bounds[u]), int(inst_bounds[u + 1])
        kinds = inst.type[i0:i1]
        specs = inst.specialty[i0:i1]
        sec = sector[c0:c1]
        for s in range(6):
            m = np.flatnonzero(sec == s)
            if m.shape[0] == 0:
                continue
            w = np.where(specs == s, _AFFINITY[kinds, 0], _AFFINITY[kinds, 1])
            out[c0 + m] = i0 + rng.choice(i1 - i0, size=m.shape[0], p=w / w.sum())
    return out


# =============================================================================================
# titles and descriptions
# =============================================================================================
@dataclass(frozen=True)
class _Pattern:
    text: str
    weight: float
    when: tuple[str, ...]


_FIELD_NEEDS: Final[dict[str, str]] = {
    "{ls}": "skill",
    "{lf}": "skill",
    "{ln}": "skill",
    "{sa}": "special",
    "{p}": "service",
    "{pa}": "cross",
    "{g}": "group",
    "{t}": "task",
    "{a}": "alias",
}

TITLE_PATTERNS: Final = tuple(
    _Pattern(t, w, c)
    for t, w, c in (
        ("{o}（{ls}）技能提升培训班", 3.0, ("skill",)),
        ("{o}（{ln}）取证班", 2.5, ("skill",)),
        ("{o}{lf}职业技能等级认定培训", 2.0, ("skill",)),
        ("{c}{y}年{o}（{ls}）补贴性培训项目", 1.5, ("skill",)),
        ("{o}{ls}实训班（第{n}期）", 2.0, ("skill", "offline")),
        ("{o}（{ln}/{lf}）职业技能培训", 1.5, ("skill",)),
        ("{sl}·{o}（{ls}）", 1.5, ("skill",)),
        ("{o}岗位技能提升培训（{ls}）", 1.5, ("skill",)),
        ("{a}（{o}）{ls}培训班", 2.0, ("skill", "alias")),
        ("{sd}·{o}{ls}技能培训", 1.5, ("skill",)),
        ("{o}（{ln}）全日制强化班", 1.0, ("skill", "offline")),
        ("{o}（{ls}）周末班", 1.0, ("skill", "offline")),
        ("{o}{ls}夜校班", 0.6, ("skill", "offline")),
        ("项目制培训｜{o}（{ln}）", 1.0, ("skill",)),
        ("{c}{o}职业技能培训（{ls}）", 1.2, ("skill",)),
        ("{o}（{ls}）“技能+学历”提升班", 0.5, ("skill", "school")),
        ("{o}技师研修班", 3.0, ("skill", "technician")),
        ("{o}{lf}高技能人才研修班", 2.0, ("skill", "senior")),
        ("高技能人才·{o}（{ln}）提升培训", 2.0, ("skill", "senior")),
        ("{o}（{lf}）技能大师工作室带徒班", 1.0, ("skill", "senior")),
        ("{o}高级工强化班", 1.5, ("skill", "level3")),
        ("企业新型学徒制·{o}（{ls}）", 3.0, ("skill", "enterprise")),
        ("{it}{o}在岗技能提升（{ls}）", 2.0, ("skill", "enterprise")),
        ("企业职工{o}（{ln}）技能提升", 2.0, ("skill", "enterprise")),
        ("{o}转岗培训（{ls}）", 1.0, ("skill", "enterprise")),
        ("{o}订单班", 3.0, ("order",)),
        ("{p}{o}订单班", 3.0, ("order", "service")),
        ("{o}（{ls}）订单式培训班", 2.0, ("order", "skill")),
        ("{o}“招工即招生”订单班（第{n}期）", 1.0, ("order",)),
        ("{o}（{ls}）定向培训班", 2.5, ("targeted", "skill")),
        ("{p}定向培养·{o}", 2.5, ("targeted", "service")),
        ("{p}定岗培训·{o}", 3.0, ("placement", "service")),
        ("{o}定岗实训班", 2.0, ("placement",)),
        ("{pa}劳务协作·{o}订单班", 6.0, ("cross",)),
        ("{pa}协作{o}定向输出班", 3.0, ("cross",)),
        ("{g}·{o}（{ls}）", 3.0, ("group", "skill")),
        ("{o}{g}", 2.5, ("group",)),
        ("{g}：{o}就业技能培训", 2.0, ("group", "training")),
        ("高素质农民培育·{o}", 3.0, ("agri",)),
        ("乡村振兴·{o}实用技术培训", 2.5, ("agri",)),
        ("{o}田间课堂（{ls}）", 1.5, ("agri", "skill")),
        ("乡村工匠·{o}技能培训", 3.0, ("rural_craft",)),
        ("家门口就业·{o}{ls}班", 2.0, ("life", "skill")),
        ("巾帼家政·{o}培训班", 3.0, ("domestic",)),
        ("银龄照护·{o}（{ln}）取证班", 3.0, ("care", "skill")),
        ("“{c}技工”·{o}（{ls}）", 1.0, ("life", "skill")),
        ("{o}实战营", 2.5, ("digital",)),
        ("数字技能提升行动·{o}（{ls}）", 2.0, ("digital", "skill")),
        ("AI+{o}微专业", 1.5, ("digital",)),
        ("直播带货（{o}）创业实战营", 4.0, ("ecom",)),
        ("农村电商·{o}创业培训", 2.5, ("ecom", "training")),
        ("低空经济·{o}（{ls}）", 3.0, ("low", "skill")),
        ("{o}实操取证班", 2.0, ("low", "skill")),
        ("{o}安全生产与技能提升培训", 2.0, ("transport",)),
        ("{o}上岗资格与技能培训", 1.5, ("transport",)),
        ("智能制造·{o}（{ls}）", 2.0, ("adv", "skill")),
        ("{sd}产业工人技能提升·{o}", 1.5, ("adv",)),
        ("文旅赋能·{o}培训", 2.0, ("tourism",)),
        ("非遗工坊·{o}传承培训", 3.0, ("heritage",)),
        ("{sa}专项职业能力培训", 4.0, ("special",)),
        ("{sa}专项能力班", 3.0, ("special",)),
        ("家门口就业·{o}（{sa}）专项能力班", 2.5, ("special",)),
        ("{sa}专项职业能力考核培训（第{n}期）", 2.0, ("special",)),
        ("{g}·{sa}专项能力培训", 2.0, ("special", "group")),
        ("{c}{sa}技能培训（专项职业能力）", 1.5, ("special",)),
        ("{o}就业技能培训", 3.0, ("training",)),
        ("{o}岗前培训（培训合格证）", 2.0, ("training",)),
        ("{o}创业培训班", 2.0, ("training", "entre")),
        ("以工代赈·{o}技能培训", 2.5, ("training", "work_relief")),
        ("{o}模块化微课：{t}", 2.5, ("training", "task")),
        ("{o}专项模块培训（{t}）", 1.5, ("task", "skill")),
        ("{o}安全知识与操作规范微课程", 1.5, ("training", "online")),
        ("{o}入门（线上课程）", 2.0, ("training", "online")),
        ("{c}{o}短期技能培训", 1.5, ("training",)),
        ("{o}线上直播课（{ls}）", 2.0, ("online", "skill")),
        ("云课堂·{o}", 1.5, ("online",)),
        ("{o}（{ls}）线上线下融合班", 2.5, ("blended", "skill")),
        ("{o}混合式培训班", 1.5, ("blended",)),
    )
)


def _check_patterns() -> None:
    for pattern in TITLE_PATTERNS:
        for field, needed in _FIELD_NEEDS.items():
            if field in pattern.text and needed not in pattern.when:
                raise AssertionError(
                    f"title pattern {pattern.text!r} uses {field} without {needed}"
                )


_check_patterns()

_INTRO: Final = (
    "{o}：{defn}",
    "根据国家职业分类大典（2022年版），{o}是指{defn}",
    "本项目聚焦{sd}领域用工需求，开展{o}{kind}。{defn}",
    "{c}{sd}领域急需{o}。本班面向{aud}，系统讲授{o}岗位知识与技能。",
    "【{sd}】{o}{kind}。{o}岗位职责：{defn}",
    "面向{aud}开展{o}{kind}，帮助学员掌握岗位核心技能、实现稳定就业。",
    "{o}（{sd}）{kind}。{defn}",
)
_TASKS: Final = (
    "主要内容：{t}。",
    "课程涵盖{t}等内容。",
    "重点训练{t}等岗位技能。",
    "学习模块包括：{t}。",
    "实训项目：{t}。",
)
_SCHEDULE: Final[tuple[tuple[str, ...], ...]] = (
    (
        "白天集中授课，约{d}天完成。",
        "采用周末班形式，方便在职人员参加。",
        "晚班授课（19:00—21:30），不影响白天工作。",
        "理实一体化教学，实训在{base}完成。",
        "小班教学，一人一岗实操训练。",
        "脱产集中培训，约{d}天。",
    ),
    (
        "全程线上学习，手机端随时学习，平台记录学时。",
        "线上直播与录播结合，学员人脸识别签到。",
        "依托职业技能提升线上平台学习，学完参加线上考核。",
    ),
    (
        "理论课线上学习，实操课集中到{base}训练。",
        "线上学习理论知识，线下集中实操和考核。",
    ),
)
_CERT_TEXT: Final[tuple[tuple[str, ...], ...]] = (
    (
        "考核合格者取得{o}{lf}（{ln}）职业技能等级证书。",
        "培训结束后参加职业技能等级认定，合格者颁发{lf}证书。",
        "结业后统一组织{ln}职业技能等级认定。",
    ),
    ("考核合格取得“{sa}”专项职业能力证书。", "结业参加“{sa}”专项职业能力考核。"),
    ("结业考核合格发放培训合格证。", "完成全部课时并考核合格者发放培训合格证书。"),
)
_SERVICE_TEXT: Final[tuple[tuple[str, ...], ...]] = (
    (
        "结业后提供职业指导和岗位推荐服务。",
        "培训期间组织企业参观和招聘对接活动。",
        "",
        "结业学员纳入{c}就业服务跟踪名单，三个月内提供岗位推荐。",
    ),
    (
        "订单式培训：与{partners}签订用工协议，考核合格即可上岗。",
        "“招工即招生、入校即入企”，合作企业：{partners}。",
    ),
    ("定向培训，结业后定向输送至{partners}。", "按{partners}岗位要求定向培养。"),
    ("定岗培训：学员先与{partners}签订劳动合同，边工作边培训。",),
)
_CROSS_TEXT: Final = (
    "依托{pair}机制开展，结业后由{partners}接收就业，提供交通补助（演示）。",
    "{pair}项目：在家门口培训，到{dest}稳定就业，合作企业：{partners}。",
)
_BASES: Final = ("学院实训楼", "校内实训基地", "企业生产一线", "机构实训室", "公共实训基地")
_KIND: Final = ("职业技能等级培训", "专项职业能力培训", "就业技能培训")
_DEFAULT_AUDIENCE: Final = (
    "有就业意愿的城乡劳动者",
    "企业在岗职工和转岗人员",
    "失业人员和农村转移劳动力",
    "有培训需求的劳动者",
)


# =============================================================================================
# courses and sessions
# =============================================================================================
@dataclass
class _Context:
    rng: np.random.Generator
    geo: _Geo
    occ: _Occ
    lookup: _Lookup
    inst: _Institutions
    today: date
    p_online: float
    p_blended: float
    dest_units: list[list[int]]  # per province: destination units (big cities first)
    session_offset: int = 0


def _destination_units(geo: _Geo) -> list[list[int]]:
    """For each province, units in its destination provinces that host cross-regional jobs."""
    by_prov: dict[str, list[int]] = {}
    for u, pi in enumerate(geo.unit_prov.tolist()):
        if geo.unit_size[u] == 2:
            by_prov.setdefault(geo.prov_codes[pi], []).append(u)
    return [[u for d in destinations(code) for u in by_prov.get(d, [])] for code in geo.prov_codes]


def _companies(
    rng: np.random.Generator, shorts: Sequence[str], industries: Sequence[tuple[str, ...]]
) -> tuple[list[str], list[str]]:
    """Made-up company names and their short forms, one per row."""
    n = len(shorts)
    a = rng.integers(0, len(_BRAND_A), size=n).tolist()
    b = rng.integers(0, len(_BRAND_B), size=n).tolist()
    pick = rng.random(n)
    forms = rng.integers(0, len(_FORMS), size=n).tolist()
    names: list[str] = []
    short_names: list[str] = []
    for i, words in enumerate(industries):
        brand = _BRAND_A[a[i]] + _BRAND_B[b[i]]
        names.append(f"{shorts[i]}{brand}{words[int(pick[i] * len(words))]}{_FORMS[forms[i]]}")
        short_names.append(f"{shorts[i]}{brand}")
    return names, short_names


def _course_chunk(
    ctx: _Context, lo: int, unit: Arr, occupation: Arr, sector: Arr, inst_of: Arr
) -> tuple[pa.Table, pa.Table, int]:
    """Courses ``lo .. lo+len(unit)`` and their sessions (session ids continue from the caller)."""
    rng, geo, occ, lookup, inst = ctx.rng, ctx.geo, ctx.occ, ctx.lookup, ctx.inst
    n = int(unit.shape[0])
    prov = geo.unit_prov[unit]
    itype = inst.type[inst_of]
    o = occupation
    n_units = len(geo.unit_codes)
    exporting = np.array([r == "exporting" for r in geo.prov_role])[prov]

    # --- certificate, level, mode ---------------------------------------------------------
    has_special = np.array([bool(x) for x in occ.specials])[o]
    major2 = np.array([c.startswith("2-") for c in occ.codes])[o]
    r = rng.random(n)
    cert = np.full(n, _SKILL)
    cert[has_special & (r < 0.32)] = _SPECIAL
    p_training = np.where(major2, 0.6, 0.13)
    cert[(cert == _SKILL) & (rng.random(n) < p_training)] = _TRAINING
    online = occ.online_ok[o] & (rng.random(n) < ctx.p_online)
    blended = ~online & (rng.random(n) < ctx.p_blended)
    mode = np.where(online, _ON, np.where(blended, _BLE, _OFF))
    cert[online & (cert == _SKILL) & (rng.random(n) < 0.3)] = _TRAINING
    level_p = np.array([0.46, 0.34, 0.14, 0.05, 0.01])
    level_p_ent = np.array([0.3, 0.4, 0.2, 0.08, 0.02])
    lk = np.where(
        itype == _ENT,
        _pick(rng, np.broadcast_to(level_p_ent, (n, 5))),
        _pick(rng, np.broadcast_to(level_p, (n, 5))),
    )
    lk = np.minimum(lk, 5 - occ.top_level[o])  # stay inside the national standard
    skill = cert == _SKILL
    lk = np.where(skill, lk, -1)

    # --- hours ----------------------------------------------------------------------------
    hours_sets = (
        (np.array([40, 48, 56, 64, 72, 80, 96, 120]), np.array([4, 3, 3, 3, 2, 2, 1, 1.0])),
        (np.array([56, 64, 72, 80, 96, 112, 120, 160]), np.array([3, 3, 3, 3, 2, 1, 1, 1.0])),
        (np.array([80, 96, 120, 160, 200]), np.array([2, 3, 3, 2, 1.0])),
        (np.array([120, 160, 200, 240, 320]), np.array([2, 3, 2, 1, 1.0])),
        (np.array([40, 48, 56, 64, 80]), np.array([4, 3, 2, 2, 1.0])),
    )
    band = np.where(skill, np.minimum(lk, 3), 4)
    hours = np.empty(n, dtype=np.int64)
    for b, (values, weights) in enumerate(hours_sets):
        m = band == b
        hours[m] = rng.choice(values, size=int(m.sum()), p=weights / weights.sum())
    share = np.where(mode == _ON, rng.uniform(0.0, 0.3, n), rng.uniform(0.6, 0.8, n))
    practical = np.where(mode == _ON, np.floor(hours * share), np.ceil(hours * share)).astype(
        np.int64
    )
    practical = np.minimum(practical, hours)

    # --- subsidy and fee -------------------------------------------------------------------
    region_city = unit
    region_prov = n_units + prov
    tier_c = lookup.tier[region_city, o]
    tier_p = lookup.tier[region_prov, o]
    use_city = tier_c >= 0
    listed = use_city | (tier_p >= 0)
    region_dir = np.where(use_city, region_city, region_prov)
    lk0 = lk.clip(0)
    base = lookup.base[region_dir, o, lk0].astype(np.int64)
    pct = (lookup.shortage[region_dir, o] + lookup.key_pct[region_dir, o]).astype(np.int64)
    skill_sub = np.where(skill & listed & (base >= 0), base * (100 + pct) // 100, 0)
    cost = np.array([COST_LEVEL[c] for c in geo.prov_codes])[prov]
    special_sub = _round_to(600 * cost, 50)
    training_sub = np.where(rng.random(n) < 0.5, _round_to(450 * cost, 50), 0)
    subsidy = np.where(skill, skill_sub, np.where(cert == _SPECIAL, special_sub, training_sub))
    free = rng.random(n) < 0.55
    extra = _round_to(subsidy * rng.uniform(0.1, 0.6, n) + rng.uniform(0, 400, n), 50)
    market = _round_to(hours * rng.uniform(12, 35, n) * cost, 50)
    paid = (np.ceil((subsidy + extra) / 50) * 50).astype(np.int64)
    fee = np.where(subsidy > 0, np.where(free, subsidy, paid), market)
    public_online = (mode == _ON) & (cert == _TRAINING) & (rng.random(n) < 0.4)
    fee = np.where(public_online, 0, fee)
    subsidy = np.where(public_online, 0, subsidy)
    subsidy = np.minimum(subsidy, fee)

    # --- groups, ages, prerequisites -----------------------------------------------------
    fit = occ.group_fit[o].copy()
    fit[:, _G_POVERTY] *= exporting
    fit[:, _G_EMPLOYEE] *= np.where(itype == _ENT, 8.0, 0.5)
    targeted = np.where(itype == _ENT, rng.random(n) < 0.7, rng.random(n) < 0.28)
    has_fit = fit.sum(axis=1) > 0
    targeted &= has_fit
    fit[~has_fit, 0] = 1.0
    klass = np.where(targeted, _pick(rng, fit), -1)
    age_min = np.full(n, 16)
    age_max = np.full(n, 60)
    age_max[occ.demanding[o]] = 50
    age_min[occ.adult[o]] = 18
    age_max[occ.adult[o] & ~occ.demanding[o]] = 55
    older = klass == _G_OLDER
    age_min[older], age_max[older] = 40, 65
    youth = klass == _G_YOUTH
    age_min[youth], age_max[youth] = 16, 35
    age_min = np.minimum(age_min, age_max)
    min_level = np.where(skill & (lk >= 2), lk - 1, -1)
    edu = np.full(n, -1)
    edu_r = rng.random(n)
    edu[major2] = np.where(edu_r[major2] < 0.6, 4, 2)
    digital = occ.sector_mask[o, _DIG] & ~major2
    edu[digital & (edu_r < 0.5)] = 2
    plain = (edu < 0) & (edu_r < 0.3)
    edu[plain] = 1
    edu[(edu < 0) & (lk >= 2)] = 1

    # --- employment service ---------------------------------------------------------------
    p_service = np.where(itype == _ENT, 0.45, 0.17)
    served = rng.random(n) < p_service
    kind_r = rng.random(n)
    service = np.where(
        served,
        np.where(
            itype == _ENT,
            np.where(kind_r < 0.7, _PLACEMENT, _ORDER),
            np.where(kind_r < 0.5, _ORDER, np.where(kind_r < 0.8, _TARGETED, _PLACEMENT)),
        ),
        _NONE,
    )
    cross = ((service == _ORDER) | (service == _TARGETED)) & exporting & (rng.random(n) < 0.4)
    n_partners = np.where(service == _NONE, 0, rng.choice([1, 1, 1, 2, 2, 3], size=n))
    own = (service == _PLACEMENT) & (itype == _ENT)
    n_partners = np.where(own, 1, n_partners)

    dest_unit = np.full(n, -1)
    cross_rows = np.flatnonzero(cross)
    for i in cross_rows.tolist():
        options = ctx.dest_units[int(prov[i])]
        if options:
            dest_unit[i] = options[int(rng.integers(0, len(options)))]
    cross &= dest_unit >= 0
    partner_unit = np.where(cross, dest_unit, unit)
    total_partners = int(n_partners.sum())
    partner_row = np.repeat(np.arange(n), n_partners)
    sec_pos = (occ.sectors[o] == sector[:, None]).argmax(axis=1)
    p_names, p_shorts = _companies(
        rng,
        [geo.unit_short[u] for u in partner_unit[partner_row].tolist()],
        [occ.industries[o[r]][sec_pos[r]] for r in partner_row.tolist()],
    )
    partner_lists: list[list[str]] = [[] for _ in range(n)]
    partner_short = [""] * n
    for j in range(total_partners):
        row = int(partner_row[j])
        if own[row]:
            if not partner_lists[row]:
                partner_lists[row].append(inst.company[inst_of[row]])
                partner_short[row] = inst.brand[inst_of[row]]
            continue
        if not partner_lists[row]:
            partner_short[row] = p_shorts[j]
        partner_lists[row].append(p_names[j])

    # --- text fields ------------------------------------------------------------------------
    text = _texts(
        ctx,
        lo=lo,
        unit=unit,
        prov=prov,
        o=o,
        sector=sector,
        itype=itype,
        inst_of=inst_of,
        cert=cert,
        lk=lk,
        mode=mode,
        hours=hours,
        practical=practical,
        fee=fee,
        subsidy=subsidy,
        klass=klass,
        service=service,
        cross=cross,
        dest_unit=dest_unit,
        partner_lists=partner_lists,
        partner_short=partner_short,
        age_min=age_min,
        age_max=age_max,
        min_level=min_level,
        edu=edu,
        listed=listed,
        use_city=use_city,
        region_dir=region_dir,
        base=base,
        pct=pct,
        special_sub=special_sub,
    )

    course_ids = pa.array([f"DEMO-C{lo + i + 1:07d}" for i in range(n)])
    level_values = pa.array([lv.value for lv in LEVEL_KEYS] + [None], type=pa.string())
    courses = pa.table(
        {
            "course_id": course_ids,
            "institution_id": inst.table.column("institution_id").take(pa.array(inst_of)),
            "title": pa.array(text["title"], type=pa.string()),
            "occupation_code": pa.array(occ.codes).take(pa.array(o)),
            "level": level_values.take(pa.array(np.where(lk >= 0, lk, 5))),
            "mode": pa.array([m.value for m in MODES]).take(pa.array(mode)),
            "hours_total": pa.array(hours, type=pa.int32()),
            "hours_practical": pa.array(practical, type=pa.int32()),
            "fee": pa.array(fee, type=pa.int32()),
            "subsidy_amount": pa.array(subsidy, type=pa.int32()),
            "subsidy_basis": pa.array(text["basis"], type=pa.string()),
            "certificate": pa.array([c.value for c in CERTS]).take(pa.array(cert)),
            "eligible_groups": pa.array(
                [
                    [g.value for g in GROUP_CLASSES[k].groups] if k >= 0 else []
                    for k in klass.tolist()
                ],
                type=pa.list_(pa.string()),
            ),
            "age_min": pa.array(age_min, type=pa.int8()),
            "age_max": pa.array(age_max, type=pa.int8()),
            "min_education": pa.array([*list(EDUCATIONS), None], type=pa.string()).take(
                pa.array(np.where(edu >= 0, edu, len(EDUCATIONS)))
            ),
            "min_level": level_values.take(pa.array(np.where(min_level >= 0, min_level, 5))),
            "prerequisites": pa.array(text["prerequisites"], type=pa.string()),
            "employment_service": pa.array([s.value for s in SERVICES]).take(pa.array(service)),
            "partner_employers": pa.array(partner_lists, type=pa.list_(pa.string())),
            "description": pa.array(text["description"], type=pa.string()),
            "region_code": pa.array(geo.unit_codes).take(pa.array(unit)),
            "is_demo": pa.array(np.ones(n, dtype=bool)),
        }
    )
    sessions = _sessions(ctx, course_ids, unit, mode, hours, inst_of)
    return courses, sessions, n


def _texts(ctx: _Context, **cols: Any) -> dict[str, list[str]]:
    """Titles, descriptions, subsidy bases and prerequisites of one chunk."""
    rng, geo, occ, lookup, inst = ctx.rng, ctx.geo, ctx.occ, ctx.lookup, ctx.inst
    unit: Arr = cols["unit"]
    prov: Arr = cols["prov"]
    o: Arr = cols["o"]
    sector: Arr = cols["sector"]
    itype: Arr = cols["itype"]
    cert: Arr = cols["cert"]
    lk: Arr = cols["lk"]
    mode: Arr = cols["mode"]
    klass: Arr = cols["klass"]
    service: Arr = cols["service"]
    cross: Arr = cols["cross"]
    n = int(unit.shape[0])
    year = str(ctx.today.year)

    # Per-row fragments.
    o_list = o.tolist()
    names = [occ.names[i] for i in o_list]
    alias_r = rng.random(n).tolist()
    aliases = [
        occ.aliases[i][int(a * len(occ.aliases[i]))] if occ.aliases[i] else occ.names[i]
        for i, a in zip(o_list, alias_r, strict=True)
    ]
    has_alias = np.array([bool(occ.aliases[i]) for i in o_list])
    # The sector a course is filed under decides its sub-domain name.
    sec_pos = (occ.sectors[o] == sector[:, None]).argmax(axis=1).tolist()
    subnames = [occ.sub_names[i][j] for i, j in zip(o_list, sec_pos, strict=True)]
    city = [geo.unit_short[u] for u in unit.tolist()]
    prov_list = prov.tolist()
    specials: list[str] = []
    sa_r = rng.random(n).tolist()
    for i, p, a in zip(o_list, prov_list, sa_r, strict=True):
        items = occ.specials[i]
        if not items:
            specials.append("")
            continue
        override = SPECIAL_OVERRIDES.get((occ.codes[i], geo.prov_codes[p]))
        specials.append(override if override and a < 0.6 else items[int(a * len(items))])
    task_start = rng.random(n).tolist()
    task_len = rng.integers(2, 5, size=n).tolist()
    tasks_text: list[str] = []
    task_one: list[str] = []
    for i, s, k in zip(o_list, task_start, task_len, strict=True):
        tk = occ.tasks[i]
        if not tk:
            tasks_text.append("")
            task_one.append("")
            continue
        start = int(s * len(tk))
        chosen = [tk[(start + j) % len(tk)] for j in range(min(k, len(tk)))]
        tasks_text.append("、".join(chosen) if sum(map(len, chosen)) < 60 else "；".join(chosen))
        task_one.append(tk[start] if len(tk[start]) <= 24 else "")
    has_task = np.array([bool(t) for t in task_one])
    group_title = [GROUP_CLASSES[k].title if k >= 0 else "" for k in klass.tolist()]
    slogans = [
        _SLOGANS[s][int(x * len(_SLOGANS[s]))]
        for s, x in zip(sector.tolist(), rng.random(n).tolist(), strict=True)
    ]
    period = rng.integers(1, 13, size=n).tolist()
    pair_label: list[str] = []
    dest_name: list[str] = []
    pair_full: list[str] = []
    for p, d, c in zip(prov_list, cols["dest_unit"].tolist(), cross.tolist(), strict=True):
        if not c:
            pair_label.append("")
            dest_name.append("")
            pair_full.append("")
            continue
        dp = int(geo.unit_prov[d])
        src, dst = geo.prov_codes[p], geo.prov_codes[dp]
        label = abbreviation(dst) + abbreviation(src)
        pair_label.append(label)
        dest_name.append(geo.unit_names[d])
        pair_full.append(pair_name(src, dst) or f"{label}劳务协作")
    inst_brand = [inst.brand[i] for i in cols["inst_of"].tolist()]

    # --- titles -----------------------------------------------------------------------------
    conds: dict[str, Arr] = {
        "skill": cert == _SKILL,
        "special": cert == _SPECIAL,
        "training": cert == _TRAINING,
        "senior": (lk >= 2),
        "technician": (lk >= 3),
        "level3": lk == 2,
        "enterprise": itype == _ENT,
        "school": (itype == _TECH) | (itype == _VOC),
        "order": service == _ORDER,
        "targeted": service == _TARGETED,
        "placement": service == _PLACEMENT,
        "service": np.array([bool(s) for s in cols["partner_short"]]),
        "cross": cross,
        "group": klass >= 0,
        "alias": has_alias,
        "task": has_task,
        "online": mode == _ON,
        "offline": mode == _OFF,
        "blended": mode == _BLE,
        "agri": sector == _AGR,
        "life": sector == _LIF,
        "digital": sector == _DIG,
        "low": sector == _LOW,
        "transport": sector == _TRA,
        "adv": sector == _ADV,
    }
    for key, flag in occ.flags.items():
        conds[key] = flag[o]
    conds["work_relief"] = (
        conds["work_relief"] & (np.array([r != "importing" for r in geo.prov_role])[prov])
    )
    weights = np.zeros((n, len(TITLE_PATTERNS)))
    for j, pattern in enumerate(TITLE_PATTERNS):
        mask = np.ones(n, dtype=bool)
        for c in pattern.when:
            mask &= conds[c]
        weights[:, j] = pattern.weight * mask
    chosen = _pick(rng, weights).tolist()
    lk_list = lk.tolist()
    titles = [
        TITLE_PATTERNS[p].text.format(
            o=names[i],
            a=aliases[i],
            ls=LEVEL_SHORT[lk_list[i]],
            lf=LEVEL_FULL[lk_list[i]],
            ln=LEVEL_NUM[lk_list[i]],
            c=city[i],
            y=year,
            n=period[i],
            g=group_title[i],
            p=cols["partner_short"][i],
            t=task_one[i],
            sa=specials[i],
            pa=pair_label[i],
            sl=slogans[i],
            sd=subnames[i],
            it=inst_brand[i],
        )
        for i, p in enumerate(chosen)
    ]

    # --- subsidy basis ------------------------------------------------------------------------
    base: Arr = cols["base"]
    cols["pct"]
    subsidy: Arr = cols["subsidy"]
    fee: Arr = cols["fee"]
    listed: Arr = cols["listed"]
    region_dir: Arr = cols["region_dir"]
    tier = lookup.tier[region_dir, o]
    key_pct = lookup.key_pct[region_dir, o]
    shortage = lookup.shortage[region_dir, o]
    basis: list[str] = []
    for i in range(n):
        c = int(cert[i])
        if subsidy[i] == 0 and fee[i] == 0:
            basis.append("公益课程，不收费、不申领补贴（演示）")
        elif c == _SKILL:
            title = lookup.title[int(region_dir[i])]
            if not listed[i]:
                basis.append(f"{names[i]}未列入本地紧缺职业目录（演示），无培训补贴")
            elif base[i] < 0:
                basis.append(f"{title}（演示）{names[i]}{LEVEL_NUM[lk_list[i]]}标为“/”，无补贴")
            else:
                text = f"{title}（演示）{LEVEL_NUM[lk_list[i]]} {_money(int(base[i]))} 元"
                if shortage[i]:
                    text += f" + {TIER_LABELS[TIERS[int(tier[i])]]}上浮 {int(shortage[i])}%"
                if key_pct[i]:
                    text += f" + 重点职业上浮 {int(key_pct[i])}%"
                basis.append(_cut(text, 200))
        elif c == _SPECIAL:
            basis.append(
                f"{geo.prov_names[prov_list[i]]}专项职业能力证书培训补贴标准（演示）"
                f"{_money(int(subsidy[i]))} 元"
            )
        elif subsidy[i] > 0:
            basis.append(
                f"就业技能培训（培训合格证）补贴（演示）{_money(int(subsidy[i]))} 元，"
                "结业并就业后申领"
            )
        else:
            basis.append("")

    # --- prerequisites --------------------------------------------------------------------------
    min_level: Arr = cols["min_level"]
    edu: Arr = cols["edu"]
    age_min: Arr = cols["age_min"]
    pre_r = rng.random(n).tolist()
    years_r = rng.integers(2, 6, size=n).tolist()
    driver = occ.driver[o].tolist()
    special_ops = occ.special_ops[o].tolist()
    prerequisites: list[str] = []
    for i in range(n):
        parts: list[str] = []
        ml = int(min_level[i])
        if ml >= 0:
            if pre_r[i] < 0.6:
                parts.append(
                    f"须持有本职业（工种）{LEVEL_FULL[ml]}（{LEVEL_NUM[ml]}）职业技能等级证书或职业资格证书"
                )
            else:
                parts.append(f"取得本职业{LEVEL_NUM[ml]}证书后，累计从事本职业工作满{years_r[i]}年")
        if driver[i]:
            parts.append("须持有相应准驾车型的机动车驾驶证，驾龄满3年")
        if special_ops[i] and pre_r[i] < 0.5:
            parts.append("上岗作业须另行取得特种作业操作证")
        if edu[i] >= 0 and pre_r[i] > 0.3:
            parts.append(f"具有{EDUCATIONS[int(edu[i])]}及以上文化程度")
        if not parts and pre_r[i] > 0.55:
            parts.append(f"年满{int(age_min[i])}周岁，身体健康，有培训意愿")
        prerequisites.append("；".join(parts) + ("。" if parts else ""))

    # --- descriptions --------------------------------------------------------------------------
    hours: Arr = cols["hours"]
    practical: Arr = cols["practical"]
    partner_lists: list[list[str]] = cols["partner_lists"]
    age_max: Arr = cols["age_max"]
    intro_i = rng.integers(0, len(_INTRO), size=n).tolist()
    task_i = rng.integers(0, len(_TASKS), size=n).tolist()
    sched_r = rng.random(n).tolist()
    cert_r = rng.random(n).tolist()
    serv_r = rng.random(n).tolist()
    aud_r = rng.random(n).tolist()
    order_r = rng.random(n).tolist()
    days = np.ceil(hours / 8).astype(np.int64).tolist()
    mode_list = mode.tolist()
    cert_list = cert.tolist()
    service_list = service.tolist()
    itype_list = itype.tolist()
    klass_list = klass.tolist()
    descriptions: list[str] = []
    for i in range(n):
        k = klass_list[i]
        audience = (
            GROUP_CLASSES[k].audience
            if k >= 0
            else _DEFAULT_AUDIENCE[int(aud_r[i] * len(_DEFAULT_AUDIENCE))]
        )
        c = cert_list[i]
        kind = _KIND[c] if c != _SKILL or itype_list[i] != _ENT else "岗位技能提升培训"
        intro = _INTRO[intro_i[i]].format(
            o=names[i], defn=occ.definitions[o_list[i]], sd=subnames[i], kind=kind,
            aud=audience, c=city[i],
        )  # fmt: skip
        content = (
            _TASKS[task_i[i]].format(t=tasks_text[i])
            if tasks_text[i]
            else "课程内容依据国家职业标准和企业岗位要求设置。"
        )
        m = mode_list[i]
        options = _SCHEDULE[m]
        schedule = f"共{int(hours[i])}课时，其中实操{int(practical[i])}课时。" + options[
            int(sched_r[i] * len(options))
        ].format(d=days[i], base=_BASES[itype_list[i]])
        ctexts = _CERT_TEXT[c]
        lki = max(lk_list[i], 0)
        certificate = ctexts[int(cert_r[i] * len(ctexts))].format(
            o=names[i], lf=LEVEL_FULL[lki], ln=LEVEL_NUM[lki], sa=specials[i]
        )
        partners = "、".join(partner_lists[i])
        if cross[i]:
            svc = _CROSS_TEXT[int(serv_r[i] * 2)].format(
                pair=pair_full[i], partners=partners, dest=dest_name[i]
            )
        else:
            stexts = _SERVICE_TEXT[service_list[i]]
            svc = stexts[int(serv_r[i] * len(stexts))].format(partners=partners, c=city[i])
        if k >= 0:
            aud = (
                f"本期为{group_title[i]}，招收{audience}，"
                f"年龄{int(age_min[i])}—{int(age_max[i])}周岁。"
            )
        elif aud_r[i] < 0.5:
            aud = f"招生对象：{int(age_min[i])}—{int(age_max[i])}周岁、有培训意愿的劳动者。"
        else:
            aud = ""
        f, s = int(fee[i]), int(subsidy[i])
        if f == 0:
            money = "公益课程，免费学习。"
        elif s > 0 and s == f:
            money = f"培训费{_money(f)}元由职业培训补贴全额承担，符合条件的学员免费参训。"
        elif s > 0:
            money = (
                f"培训费{_money(f)}元，符合条件者可享受补贴{_money(s)}元，"
                f"个人自付{_money(f - s)}元。"
            )
        else:
            money = f"培训费{_money(f)}元（未列入补贴范围）。"
        if order_r[i] < 0.6:
            pieces = (intro, content, schedule, certificate, svc, aud, money, DEMO_TAG)
        else:
            pieces = (intro, aud, content, schedule, money, certificate, svc, DEMO_TAG)
        descriptions.append(_cut("".join(pieces), 2000))
    return {
        "title": [_cut(t, 200) for t in titles],
        "basis": basis,
        "prerequisites": [_cut(p, 300) for p in prerequisites],
        "description": descriptions,
    }


def _sessions(
    ctx: _Context, course_ids: pa.Array, unit: Arr, mode: Arr, hours: Arr, inst_of: Arr
) -> pa.Table:
    """1–4 sessions per course around ``today``."""
    rng, geo, inst = ctx.rng, ctx.geo, ctx.inst
    n = int(unit.shape[0])
    k = rng.choice([1, 2, 3, 4], size=n, p=[0.3, 0.35, 0.22, 0.13])
    total = int(k.sum())
    row = np.repeat(np.arange(n), k)
    first = np.concatenate([[0], np.cumsum(k)[:-1]])
    j = np.arange(total) - np.repeat(first, k)  # 0 = earliest
    last_j = k[row] - 1
    interval = rng.integers(30, 121, size=n)[row]
    # Most published projects run classes on a rolling basis into the coming months; some
    # have finished their last class (kept for history and near-miss explanations).
    last_start = rng.integers(-30, 151, size=n)[row]
    start_off = last_start - (last_j - j) * interval
    # Duration from hours and rhythm (full-time, weekend, evening) or an online window.
    rhythm = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])[row]
    h = hours[row]
    train_days = np.ceil(h / 8)
    span = np.where(
        rhythm == 0,
        train_days + 2 * (train_days // 5),
        np.where(rhythm == 1, np.ceil(train_days / 2) * 7, np.ceil(h / 2.5) * 7 / 5),
    )
    is_online = mode[row] == _ON
    span = np.where(is_online, rng.integers(14, 61, size=total), span)
    span = np.clip(span, 1, 200).astype(np.int64)
    today = np.datetime64(ctx.today, "D")
    start = today + start_off.astype("timedelta64[D]")
    end = start + (span - 1).astype("timedelta64[D]")
    close = start - rng.integers(0, 8, size=total).astype("timedelta64[D]")
    # Enrolment opens when a session is published, one to four months before it starts;
    # for a rolling project, at the latest when the previous class starts (下期报名).
    open_ = close - rng.integers(30, 121, size=total).astype("timedelta64[D]")
    prev_start = np.roll(start, 1)
    rolling = (j > 0) & (prev_start < open_)
    open_ = np.where(rolling, prev_start, open_)
    capacity = rng.integers(20, 61, size=total)
    began = start <= today
    r = rng.random(total)
    taken_past = np.where(r < 0.2, capacity, np.rint(capacity * rng.uniform(0.55, 1.0, total)))
    window = (close - open_).astype(np.int64) + 1
    progress = ((today - open_).astype(np.int64) + 1) / window
    taken_future = np.where(
        open_ > today,
        0,
        np.where(
            r < 0.06,
            capacity,
            np.rint(capacity * progress.clip(0, 1) * rng.uniform(0.3, 1.1, total)),
        ),
    )
    taken = np.minimum(capacity, np.where(began, taken_past, taken_future)).astype(np.int64)

    # Place: the institution's own site, or elsewhere in the unit; online has none.
    u = unit[row]
    inst_row = inst_of[row]
    at_inst = rng.random(total) < 0.7
    pcount = geo.place_count[u]
    other = geo.place_start[u] + (rng.random(total) * pcount).astype(np.int64)
    place = np.where(at_inst, inst.place[inst_row], other)
    lon = np.where(
        at_inst,
        inst.lon[inst_row] + rng.normal(0, 0.0005, total),
        geo.place_lon[place] + rng.normal(0, 0.015, total),
    )
    lat = np.where(
        at_inst,
        inst.lat[inst_row] + rng.normal(0, 0.0005, total),
        geo.place_lat[place] + rng.normal(0, 0.012, total),
    )
    lon = np.round(lon, 6)
    lat = np.round(lat, 6)
    region = np.where(is_online, geo.place_start[u], place)
    roads = rng.integers(0, len(_ROADS), size=total).tolist()
    numbers = rng.integers(1, 999, size=total).tolist()
    venue_i = rng.integers(0, len(_VENUES), size=total).tolist()
    floor_n = rng.integers(1, 6, size=total).tolist()
    addresses: list[str] = []
    for i, (pl, ai, online, ii) in enumerate(
        zip(place.tolist(), at_inst.tolist(), is_online.tolist(), inst_row.tolist(), strict=True)
    ):
        if online:
            addresses.append("线上")
            continue
        venue = _VENUES[venue_i[i]].format(n=floor_n[i])
        if ai:
            addresses.append(_cut(inst.address[ii] + venue, 200))
        else:
            addresses.append(
                _cut(f"{geo.place_full[pl]}{_ROADS[roads[i]]}{numbers[i]}号{venue}", 200)
            )
    offset = ctx.session_offset
    ctx.session_offset += total
    table = pa.table(
        {
            "session_id": pa.array([f"DEMO-S{offset + i + 1:08d}" for i in range(total)]),
            "course_id": course_ids.take(pa.array(row)),
            "start_date": pa.array(start, type=pa.date32()),
            "end_date": pa.array(end, type=pa.date32()),
            "enrol_open": pa.array(open_, type=pa.date32()),
            "enrol_close": pa.array(close, type=pa.date32()),
            "capacity": pa.array(capacity, type=pa.int32()),
            "seats_taken": pa.array(taken, type=pa.int32()),
            "region_code": pa.array(geo.place_codes).take(pa.array(region)),
            "address": pa.array(addresses, type=pa.string()),
            "longitude": _masked(lon, is_online, pa.float64()),
            "latitude": _masked(lat, is_online, pa.float64()),
        }
    )
    return table


# =============================================================================================
# entry point
# =============================================================================================
def generate_demo(
    *,
    courses: int = 20_000,
    seed: int = 20250620,
    today: date,
    progress: bool = False,
) -> dict[str, pa.Table]:
    """Generate a deterministic, realistic demo catalog.

    Args:
        courses: Number of courses (sessions: 1–4 per course; institutions: about one per 11
            courses, at least two per city).
        seed: Seed of the random generator; the same arguments give identical tables.
        today: The reference day: directories in force, past/running/upcoming sessions and
            enrolment windows are relative to it (the current time is never read).
        progress: Show a progress bar (updated per chunk of 25,000 courses).

    Returns:
        The tables ``"demand"``, ``"institutions"``, ``"courses"`` and ``"sessions"`` in the
        schemas of :mod:`catalog.schema`.

    Raises:
        ValueError: For a negative number of courses.
    """
    if courses < 0:
        raise ValueError("courses must be ≥ 0")
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    geo = _build_geo(load_regions())
    occ = _build_occupations()
    prov_w = _province_weights(geo, occ)
    demand, lookup = _build_demand(rng, geo, occ, prov_w, today)
    unit, occupation, counts = _allocate(rng, geo, occ, prov_w, lookup, courses)
    # The sector a course is filed under (occupations in several sectors pick one).
    pick = (rng.random(courses) * occ.n_sectors[occupation]).astype(np.int64)
    sector = occ.sectors[occupation, pick]
    inst = _build_institutions(rng, geo, counts, courses_per_institution=11.0)
    inst_of = _assign_institutions(rng, inst, unit, sector, len(geo.unit_codes))
    online_share = float(occ.online_ok[occupation].mean()) if courses else 0.0
    ctx = _Context(
        rng=rng,
        geo=geo,
        occ=occ,
        lookup=lookup,
        inst=inst,
        today=today,
        p_online=min(0.85, 0.10 / online_share) if online_share > 0 else 0.0,
        p_blended=0.11,
        dest_units=_destination_units(geo),
    )
    course_parts: list[pa.Table] = []
    session_parts: list[pa.Table] = []
    bounds = [*list(range(0, courses, CHUNK)), courses]
    with tqdm(total=courses, disable=not progress, desc="demo courses", unit="course") as bar:
        for lo, hi in itertools.pairwise(bounds):
            c_table, s_table, done = _course_chunk(
                ctx, lo, unit[lo:hi], occupation[lo:hi], sector[lo:hi], inst_of[lo:hi]
            )
            course_parts.append(conform("courses", c_table))
            session_parts.append(conform("sessions", s_table))
            bar.update(done)
    course_table = pa.concat_tables(course_parts) if course_parts else empty_table("courses")
    session_table = pa.concat_tables(session_parts) if session_parts else empty_table("sessions")
    tables = {
        "demand": demand,
        "institutions": inst.table,
        "courses": course_table,
        "sessions": session_table,
    }
    logger.info(
        "generated demo catalog in %.1f s: %s",
        time.perf_counter() - started,
        {k: v.num_rows for k, v in tables.items()},
    )
    return tables


__all__ = ["DEMO_SOURCE", "DEMO_TAG", "generate_demo"]
