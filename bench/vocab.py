"""Word lists the data generator draws from (plain data, no logic)."""

from __future__ import annotations

# City prefixes of Chinese company names; some registrations keep 市, some drop it.
CITIES = (
    "北京", "上海", "广州", "深圳市", "杭州", "南京", "苏州", "成都", "重庆", "武汉", "西安", "天津",
    "宁波", "厦门", "青岛", "大连", "长沙", "郑州", "济南", "合肥", "福州", "东莞市", "佛山市",
    "无锡", "常州", "温州", "绍兴", "嘉兴", "金华", "义乌市", "昆山市", "珠海", "中山市", "惠州",
    "南昌", "昆明", "贵阳", "南宁", "沈阳", "长春", "哈尔滨", "石家庄", "太原", "呼和浩特", "兰州",
    "乌鲁木齐", "海口", "三亚", "烟台", "潍坊", "泉州", "漳州", "台州", "湖州", "扬州", "徐州",
    "洛阳", "宜昌", "襄阳", "芜湖",
)  # fmt: skip
TRADITIONAL_CITIES = ("台北", "新北", "台中", "高雄", "新竹", "桃園", "台南", "香港", "九龍", "澳門")

# Trade names (字号) are two characters: one from each pool (云 + 帆 = 云帆, 华 + 盛 = 华盛 …).
TRADE_FIRST = (
    "云", "华", "金", "恒", "鑫", "瑞", "宏", "盛", "泰", "永", "嘉", "新", "中", "天", "长", "东",
    "海", "博", "锦", "鼎", "创", "汇", "联", "明", "德", "安", "正", "信", "荣", "凯", "宇", "腾",
    "万", "百", "星", "光", "华", "晨", "蓝", "绿", "卓", "立", "远", "智", "益", "诚", "祥", "兴",
)  # fmt: skip
TRADE_SECOND = (
    "帆", "盛", "通", "达", "信", "泰", "源", "峰", "辉", "邦", "联", "科", "远", "航", "宇", "润",
    "丰", "禾", "瑞", "诚", "晟", "星", "锐", "腾", "鼎", "弘", "轩", "茂", "欣", "和", "翔", "悦",
    "恒", "顺", "捷", "康", "美", "图", "启", "域",
)  # fmt: skip
INDUSTRIES = (
    ("科技", "technology"), ("网络科技", "internet"), ("信息技术", "it services"), ("软件", "software"),
    ("电子", "electronics"), ("贸易", "trading"), ("国际贸易", "trading"), ("机械", "machinery"),
    ("智能装备", "machinery"), ("新材料", "materials"), ("建材", "construction"),
    ("建设工程", "construction"), ("物流", "logistics"), ("供应链管理", "logistics"),
    ("生物医药", "healthcare"), ("医疗器械", "healthcare"),
    ("食品", "food"), ("餐饮管理", "food"), ("服饰", "apparel"), ("纺织", "apparel"),
    ("文化传媒", "media"), ("广告", "media"), ("环保科技", "environment"), ("新能源", "energy"),
    ("电力设备", "energy"), ("汽车零部件", "automotive"), ("实业", "industrial"), ("化工", "chemicals"),
    ("教育科技", "education"), ("企业管理咨询", "consulting"), ("投资", "finance"), ("家居", "retail"),
    ("电子商务", "e-commerce"), ("农业发展", "agriculture"), ("精密制造", "manufacturing"),
)  # fmt: skip
# (suffix, cumulative weight) — most companies are 有限公司.
CN_SUFFIXES = (
    ("有限公司", 72), ("股份有限公司", 84), ("集团有限公司", 89), ("有限责任公司", 95), ("集团", 97),
    ("有限公司分公司", 100),
)  # fmt: skip
TW_SUFFIXES = ("股份有限公司", "有限公司", "企業有限公司", "集團")

EN_WORDS = (
    "Acme", "Apex", "Summit", "Pacific", "Brightway", "Golden Bridge", "Silverline", "Northstar",
    "Bluewater", "Evergreen", "Harbor", "Keystone", "Lighthouse", "Meridian", "Orient", "Pioneer",
    "Redwood", "Sunrise", "Trident", "Unity", "Vertex", "Westfield", "Zenith", "Crescent", "Dragon Gate",
    "Eastwind", "Falcon", "Granite", "Horizon", "Ironwood", "Jade", "Lotus", "Maple", "Nova", "Oakridge",
    "Phoenix", "Quantum", "Riverside", "Sterling", "Titan", "Acmeway", "Atlas", "Beacon", "Cedar",
)  # fmt: skip
EN_INDUSTRIES = (
    "Trading", "Technology", "Electronics", "Logistics", "Industrial", "Software", "Materials", "Foods",
    "Medical", "Machinery", "Solutions", "Textiles", "Energy", "Packaging", "Consulting",
)  # fmt: skip
EN_SUFFIXES = ("Co., Ltd.", "Co., Ltd.", "Co., Ltd.", "Limited", "Inc.", "Corporation", "Group Ltd.", "LLC")

SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
    "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "欧阳",
)  # fmt: skip
GIVEN_CHARS = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "萍", "红", "建", "文", "辉", "鹏", "宇", "晨", "浩",
    "欣", "怡", "佳", "琳", "博", "雪", "婷", "子", "轩", "思", "雨", "嘉", "俊", "凯", "瑶", "颖",
)  # fmt: skip
EN_FIRST = (
    "James", "Mary", "John", "Linda", "Michael", "Sarah", "David", "Emma", "Robert", "Olivia", "Daniel",
    "Sophia", "Kevin", "Grace", "Jason", "Amy", "Eric", "Helen", "Tony", "Lucy", "Peter", "Anna",
)  # fmt: skip
EN_LAST = (
    "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts", "Walker",
    "Wright", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall", "Wood", "Harris", "Clarke",
)  # fmt: skip

CN_TITLES = (
    "总经理", "副总经理", "采购经理", "采购专员", "技术总监", "财务经理", "财务总监", "行政主管",
    "IT经理", "运营总监", "销售总监", "董事长", "项目经理", "法务", "总经理助理",
)  # fmt: skip
EN_TITLES = ("CEO", "Purchasing Manager", "CTO", "Finance Director", "Operations Manager", "IT Manager")
# (role, cumulative weight); the remaining 5 % carry no role
ROLES = (
    ("decision_maker", 20), ("influencer", 40), ("user", 65), ("gatekeeper", 75), ("champion", 85),
    ("other", 95),
)  # fmt: skip

SOURCES = ("展会", "官网咨询", "老客户转介绍", "电话营销", "线上广告", "合作伙伴", "招投标")
TAGS = (
    "重点客户",
    "华东",
    "华南",
    "华北",
    "西南",
    "老客户",
    "续约",
    "海外",
    "政府项目",
    "上市公司",
    "VIP跟进",
)
DISTRICTS = (
    "高新区",
    "经开区",
    "滨江区",
    "南山区",
    "浦东新区",
    "海淀区",
    "天河区",
    "江宁区",
    "武侯区",
    "工业园区",
)
ROADS = (
    "文三路",
    "科技园路",
    "人民路",
    "中山路",
    "建设路",
    "解放路",
    "创业大道",
    "滨河路",
    "长江路",
    "学院路",
)

PRODUCTS = ("CRM系统", "ERP模块", "数据中台", "云服务器", "安防设备", "工业传感器", "办公耗材", "物流软件")
FEATURES = ("报表功能", "移动端审批", "权限管理", "接口对接", "售后服务", "交付周期", "价格", "私有化部署")
FOLLOW_UP_TEMPLATES = (
    "上门拜访{contact}{title}，介绍了我司{product}方案，客户对{feature}比较感兴趣，约定下周发送正式报价。",
    "电话沟通{product}报价，客户认为价格偏高，希望再优惠{pct}%，已向经理申请特价。",
    "已发送报价单（含税{amount}元），{contact}表示会在本周内内部评审。",
    "与{contact}确认合同条款，付款方式为{pct}%预付款，余款验收后30天内支付。",
    "合同已盖章寄回，编号HT-{number}，安排实施团队下周进场。",
    "跟进回款：第二期款项{amount}元预计月底到账，财务已开具发票。",
    "客户反馈{feature}有问题，已协调技术支持远程处理，{contact}表示满意。",
    "微信联系{contact}，对方在出差，约定{weekday}再拜访，届时带上{product}演示环境。",
    "参加客户年度招标会，提交了{product}投标文件，竞争对手有两家。",
    "回款提醒：尾款{amount}元已逾期{days}天，{contact}称本周内安排付款。",
    "陪同技术总监拜访，现场演示{product}，客户提出{feature}需求，需评估工作量后报价。",
    "客户确认续签一年服务合同，合同金额{amount}元，等待法务审核。",
)  # fmt: skip
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五")
TLDS = (".com", ".cn", ".com.cn", ".com.cn", ".net")
POPULAR_TRADE_NAMES = ("云帆", "华盛", "金鼎", "恒通", "鑫达", "瑞丰", "宏远", "天宇", "博源", "中联")
