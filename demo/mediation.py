"""Step `seed_mediation` of `seed_demo`: the “和为贵” room's roster, a year of disputes, early signs and watch
items.

Runs after `demo.visits.seed_visits`. Each community's committee gets a roster: in 金色嘉苑 the “五老” (老党员、
老干部、老教师、老退役军人、老模范), one of them no longer active, and two legal workers, the first of them the
`mediator` demo user's roster entry. The room opened a year ago; its disputes (CASES) are told step by step
through `mediation.services`, so numbers, steps, deadlines and follow-ups are what the portal itself would
record, and then dated back to the day each step happened. Every state is present, with exactly the 16
successful mediations of the room's first year that the source report counts, written and oral agreements,
an escalation to the court, the police and arbitration, one dispute past its deadline, one extended, one
reopened after its agreement was not performed, and `mediator`'s follow-up due today. Parties are demo
residents (neighbours in one building, an old resident and a child living in the city, a married couple),
outside persons and organisations. Home visits flag 矛盾苗头; two pairs flagged twice are open watch items and a
third was opened as a dispute.

The roster is made for a committee that has none; the rest only when the street has no dispute yet, which
makes the step idempotent. Dates count back from today, so the demo works in any year, and every choice comes
from the step's random stream, so the same seed tells the same stories.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import User
from demo.visits import Workers
from households.models import Household, Resident
from mediation.models import Dispute, DisputeEvent, DisputeMediator, FollowUp, MediationSession, Mediator, Party
from mediation.services import (
    PartyData,
    conclude_failure,
    conclude_success,
    extend_deadline,
    flag_early_sign,
    party_from_resident,
    record_follow_up,
    record_session,
    recuse,
    register_dispute,
)
from visits.models import ResidentRequest, Visit, VisitTask
from visits.services import log_visit

from .names import person_name
from .street import MAIN_COMMUNITY, SECOND_COMMUNITY

Category = Mediator.Category
State = Dispute.State
Source = Dispute.Source
Risk = Dispute.Risk
WRITTEN, ORAL = Dispute.AgreementKind.WRITTEN, Dispute.AgreementKind.ORAL
# The roster entry of the `mediator` demo user: named as the user is.
MEDIATOR_USER = "mediator"
POOL_SIZE = 300
MIN_HOUSEHOLDS = 6

# (key, name, category, skills, phone, active, note); the name None is the `mediator` user's.
ROSTER = {
    MAIN_COMMUNITY: [
        ("party_member", "孔繁德", Category.OLD_PARTY_MEMBER, ["neighbour", "family"], "13853790121", True,
         "党龄五十年，原前屯村党支部委员"),
        ("cadre", "王德福", Category.OLD_CADRE, ["housing", "land", "neighbour"], "13853790122", True,
         "原后屯村党支部书记"),
        ("teacher", "刘玉兰", Category.OLD_TEACHER, ["family", "neighbour"], "13853790123", True, "黄屯小学退休教师"),
        ("veteran", "高建军", Category.OLD_VETERAN, ["damages", "neighbour", "property"], "13853790124", True,
         "退役军人，曾任村治保主任"),
        ("model", "张秀英", Category.OLD_MODEL, ["family", "property"], "13853790125", True, "济宁市劳动模范"),
        ("legal", None, Category.LEGAL_WORKER, ["contract", "labour", "housing", "damages", "neighbour"], "", True,
         "街道社会稳定办公室副主任，和为贵调解室负责人"),
        ("lawyer", "颜丽华", Category.LEGAL_WORKER, ["contract", "labour", "damages", "housing"], "13853790127", True,
         "黄屯法律服务所法律工作者"),
        ("retired", "李长河", Category.OLD_CADRE, ["land", "housing"], "13853790128", False, "因病暂停调解工作"),
    ],
    SECOND_COMMUNITY: [
        ("party_member", "孟庆林", Category.OLD_PARTY_MEMBER, ["neighbour", "family"], "13853790131", True, ""),
        ("lawyer", "石丽萍", Category.LEGAL_WORKER, ["contract", "labour", "property"], "13853790132", True,
         "黄屯法律服务所法律工作者"),
    ],
}  # fmt: skip

# Outside parties: (name, gender, age, occupation, address) and organisations: (name, representative, address).
OUTSIDERS = {
    "tenant": ("陈晓东", "male", 34, "快递员", "济宁市高新区柳行街道同济花园6号楼"),
    "borrower": ("李建华", "male", 47, "个体经营", "济宁市任城区古槐路18号"),
    "driver": ("周志刚", "male", 39, "货车司机", "济宁市高新区黄屯街道前屯村"),
}
ORGANISATIONS = {
    "property": ("金色嘉苑物业服务中心", "赵海涛（经理）", "金色嘉苑社区西区物业服务楼"),
    "labour": ("济宁鸿运建筑劳务有限公司", "孙永刚（法定代表人）", "济宁高新区黄屯街道工业园区"),
    "factory": ("济宁宏达机械配件厂", "吴德明（厂长）", "济宁高新区黄屯街道工业园区8号"),
    "coop": ("黄屯街道前屯村股份经济合作社", "曹广田（理事长）", "黄屯街道前屯村"),
    "office": ("黄屯街道村镇建设办公室", "鲁建伟（主任）", "黄屯街道办事处"),
}
CITY_ADDRESSES = ["济宁市任城区建设路", "济宁市任城区琵琶山路", "济宁市高新区洸河路", "济宁市太白湖新区石佛路"]
CITY_JOBS = ["企业职工", "个体经营", "教师", "出租车司机", "超市店员"]
LOCAL_JOBS = ["务工", "个体经营", "企业职工", "灵活就业", "务农"]


@dataclass(frozen=True)
class Success:
    kind: str
    agreement: str
    responsibility: str = ""
    manner: str = ""
    deadline_days: int | None = None  # the performance deadline, days after the agreement
    court: bool | None = None  # the parties applied for court confirmation (司法确认)


@dataclass(frozen=True)
class Failure:
    escalated_to: str
    reason: str


@dataclass(frozen=True)
class Case:
    """One dispute of 金色嘉苑's committee. `walk` is where its story stops (see `_Story.walk`); days count back
    from today: `registered`, `concluded` (the agreement or the failure), `last_session` (of an open dispute).

    `parties` says who they are: neighbours (two households of one building), elder_child (an old resident
    and a child living in the city), couple (a married couple of one household), siblings (a resident and a
    sibling living in the city), org:<key> or person:<key> (a resident and an outside party), request (the
    household of a 邻里矛盾 resident request and a neighbour), watch (the pair of a watch item). Texts name the
    applicant {a} and the respondent {b}.
    """

    walk: str
    registered: int
    dispute_type: str
    parties: str
    mediators: tuple
    title: str
    facts: str
    matters: str
    claims: tuple
    hearing: str = ""
    concluded: int | None = None
    sessions: int = 1
    risk: str = Risk.YELLOW
    source: str = Source.WALK_IN
    outcome: object = None
    next_step: str = "继续做双方工作，约定再次调解"
    recusal: tuple = ()  # (roster key, reason, replacement key)
    reopening: tuple = ()  # (the follow-up's note that the agreement was not performed, the next session's record)
    extension: str = ""
    last_session: int = 2


CASES = [
    # --- 结案: ten successes of the room's first months, followed up and closed ---------------------------
    Case(
        "closed", 352, "neighbour", "neighbours", ("veteran", "legal"), concluded=340, sessions=2,
        title="楼上卫生间漏水致楼下吊顶受损",
        facts="{b}家卫生间防水层老化，自去年秋天起多次向楼下{a}家渗水，致{a}家卫生间吊顶发霉脱落、客厅墙面起皮。"
        "{a}多次上门协商，{b}认为漏水属安置房工程质量问题，双方为此多次争吵。",
        matters="漏水原因及维修责任；{a}家装修损失的赔偿数额",
        claims=("{b}修复防水层，赔偿吊顶和墙面修复费用2000元", "愿意修防水，但认为赔偿数额过高"),
        hearing="调解员与网格员到两家现场查看，确认漏水点在{b}家卫生间地漏周边。调解员讲解《民法典》关于相邻关系的"
        "规定，{b}认可维修责任，对赔偿数额有异议。",
        outcome=Success(
            WRITTEN,
            "一、{b}于协议签订之日起十日内请专业人员重做卫生间防水层，费用自理；二、{b}赔偿{a}吊顶及墙面修复费用"
            "1500元；三、双方今后互谅互让，和睦相处。",
            responsibility="{b}家卫生间防水层失效是漏水原因，{b}应承担维修和赔偿责任；{a}发现漏水后未及时告知，"
            "可适当减少赔偿。",
            manner="防水施工完成后由调解员和双方共同查看；赔偿款于签订协议时当面一次付清。",
            deadline_days=10,
            court=False,
        ),
    ),
    Case(
        "closed", 330, "family", "elder_child", ("teacher",), concluded=318, sessions=2,
        title="子女赡养费分担纠纷",
        facts="{a}年逾七旬，老伴去世后独自居住。儿子{b}在济宁市区工作，以工作忙、房贷压力大为由，近半年未给付"
        "生活费，也很少回家看望。{a}患有高血压，每月药费四百余元，生活困难。",
        matters="赡养费数额及给付方式；日常照料和看病陪护",
        claims=("每月给付赡养费800元，每月至少回家看望两次", "每月最多给付500元"),
        hearing="调解员向{b}讲解《民法典》关于成年子女赡养扶助父母义务的规定，结合老人病情和药费情况分析，"
        "{b}表示愿意承担赡养义务。",
        outcome=Success(
            WRITTEN,
            "一、{b}自本月起每月10日前通过银行转账给付{a}赡养费700元；二、{a}住院期间医疗费用的自付部分由{b}"
            "负担；三、{b}每月至少回家看望{a}两次。",
            responsibility="{b}作为成年子女，负有赡养{a}的法定义务。",
            manner="按月转账，网格员每季度回访一次。",
            court=True,
        ),
    ),
    Case(
        "closed", 305, "property", "org:property", ("legal",), concluded=296,
        title="物业费与地下车位管理纠纷",
        facts="{a}以所购地下车位被他人长期占用、物业不作为为由，拒交上年度物业费960元。{b}多次催缴未果，"
        "拟停止为其办理门禁卡充值，双方关系紧张。",
        matters="物业费是否应当缴纳；车位被占用问题的处理",
        claims=("物业先解决车位占用问题，减免部分物业费", "{a}补交全年物业费"),
        hearing="调解员召集{a}和{b}负责人当面沟通，{b}承认对车位巡查不到位，同意限期清理占用车辆。",
        outcome=Success(
            WRITTEN,
            "一、{b}于七日内清理占用{a}车位的车辆并加装地锁；二、{a}于车位清理后三日内补交物业费960元，{b}"
            "减免滞纳金；三、车位再被占用的，{a}可直接联系物业值班室处理。",
            responsibility="{b}对车位管理存在疏漏；{a}以此拒交全部物业费理由不足。",
            manner="物业清理车位后通知{a}验收，{a}到物业服务中心缴费。",
            deadline_days=10,
            court=False,
        ),
    ),
    Case(
        "closed", 281, "neighbour", "neighbours", ("party_member",), concluded=276, source=Source.GRID_REPORT,
        title="楼道堆放杂物引发邻里争吵",
        facts="{b}在楼道内堆放纸箱、旧家具，并在楼道给电动车电瓶充电，占用大半个楼道。{a}家中有坐轮椅的老人，"
        "进出不便，双方多次争吵，{a}曾拨打110。",
        matters="楼道杂物清理；在楼道给电瓶充电的安全隐患",
        claims=("{b}清走楼道杂物，不在楼道给电瓶充电", "只同意挪一挪，不同意全部清走"),
        hearing="调解员和网格员到楼道现场查看，讲解消防安全规定，{b}认识到楼道充电的危险，同意清理。",
        outcome=Success(
            ORAL,
            "{b}当天清理楼道内杂物，电动车电瓶不再在楼道充电，改到小区集中充电桩充电；{a}对此前争吵中言语过激"
            "向{b}道歉。",
            manner="当场口头达成，调解员记录在卷，网格员次日查看。",
        ),
    ),
    Case(
        "closed", 258, "housing", "siblings", ("cadre", "lawyer"), concluded=236, sessions=3,
        title="父母安置房分配兄妹纠纷",
        facts="{a}与{b}系兄妹。其父母在原村拆迁时按家庭人口分得安置房两套，父母去世后未留遗嘱。{a}一直与父母同住"
        "并照料父母，认为应当多分；{b}认为应当平均分配，双方多年不相往来。",
        matters="两套安置房的归属；照料父母的一方是否多分",
        claims=("面积较大的一套归自己，另一套两人平分", "两套房各得一套"),
        hearing="调解员调取了原村拆迁安置协议，讲解《民法典》继承编关于法定继承和对被继承人尽了主要扶养义务的继承人"
        "可以多分的规定。",
        outcome=Success(
            WRITTEN,
            "一、面积较大的一套安置房归{a}所有，另一套归{b}所有；二、{a}补偿{b}人民币三万元；三、双方于协议签订后"
            "三十日内共同办理不动产登记手续。",
            responsibility="两套安置房为父母遗产，由{a}、{b}依法继承；{a}对父母尽了主要扶养义务，可以适当多分。",
            manner="补偿款于办理不动产登记当日一次付清。",
            deadline_days=30,
            court=True,
        ),
    ),
    Case(
        "closed", 222, "damages", "neighbours", ("veteran",), concluded=213, sessions=2, risk=Risk.ORANGE,
        title="饲养犬只咬伤邻居赔偿纠纷",
        facts="{b}饲养的一只中华田园犬未拴绳，在楼下将{a}左小腿咬伤。{a}到医院注射狂犬疫苗并清创，花去医疗费"
        "1860元，误工五天。{b}只愿承担疫苗费用，{a}的家属扬言要找{b}“算账”。",
        matters="医疗费、误工费的赔偿数额；犬只管理",
        claims=("赔偿医疗费、误工费、营养费共3000元", "只承担疫苗费用"),
        hearing="调解员讲解《民法典》关于饲养动物损害责任的规定，核对了医疗票据，{b}同意承担医疗费和误工费。",
        outcome=Success(
            WRITTEN,
            "一、{b}赔偿{a}医疗费1860元、误工费500元，共计2360元；二、{b}今后遛狗必须拴绳，并为犬只办理登记和免疫。",
            responsibility="{b}未对犬只采取安全措施，应承担全部赔偿责任。",
            manner="赔偿款于签订协议时当面付清。",
            court=False,
        ),
    ),
    Case(
        "closed", 190, "neighbour", "neighbours", ("teacher",), concluded=185,
        recusal=("teacher", "系{b}的表姐，主动申请回避", "party_member"),
        title="装修噪音扰民纠纷",
        facts="{b}家装修，工人中午和晚上九点以后仍在电钻作业。{a}家孩子正在备考，{a}多次上门交涉未果，双方在楼道"
        "发生口角。",
        matters="装修施工时间",
        claims=("{b}家中午和晚上不施工", "工期紧，希望{a}体谅"),
        hearing="调解员讲解小区装修管理规定，双方各让一步，约定了施工时间。",
        outcome=Success(
            ORAL,
            "{b}家装修只在每天上午8时至12时、下午2时至6时施工，周末不进行电钻等高噪音作业；{a}对装修期间的正常"
            "噪音予以谅解。",
            manner="口头达成，调解员记录在卷；物业监督施工时间。",
        ),
    ),
    Case(
        "closed", 163, "labour", "org:labour", ("lawyer", "legal"), concluded=149, sessions=2, risk=Risk.ORANGE,
        title="务工人员追讨劳务报酬纠纷",
        facts="{a}于今年春天在{b}承包的工地做钢筋工，干了四个月，尚有工资18600元未结清。{b}称工程款未到位，"
        "一再拖延。{a}扬言要到区里上访。",
        matters="欠付劳务报酬的数额及支付期限",
        claims=("一次性结清工资18600元", "分三个月付清"),
        hearing="调解员核对了考勤记录和工资欠条，讲解《保障农民工工资支付条例》，{b}承认欠款数额。",
        outcome=Success(
            WRITTEN,
            "一、{b}确认欠付{a}劳务报酬18600元；二、{b}于协议签订之日起十五日内支付10000元，余款8600元于三十日内"
            "付清；三、{a}不再就此事上访。",
            responsibility="{b}拖欠{a}劳务报酬，应当按约支付。",
            manner="银行转账至{a}本人账户。",
            deadline_days=30,
            court=True,
        ),
    ),
    Case(
        "closed", 131, "family", "couple", ("model",), concluded=126,
        title="夫妻因家务琐事争吵",
        facts="{a}与{b}系夫妻。近来因照看孙辈、家务分工等琐事经常争吵，{a}一气之下搬到女儿家居住，扬言要离婚。",
        matters="家务分工；照看孙辈",
        claims=("{b}多分担家务，不再酗酒", "希望{a}回家"),
        hearing="调解员与双方分别谈心，回顾几十年的夫妻感情，双方都承认自己有不对的地方。",
        outcome=Success(
            ORAL,
            "{b}保证少喝酒、多分担家务，每周接送孙辈三天；{a}当天回家。双方和好。",
            manner="口头达成，调解员记录在卷。",
        ),
    ),
    Case(
        "closed", 104, "contract", "person:tenant", ("legal",), concluded=95, sessions=2,
        title="房屋租赁押金退还纠纷",
        facts="{a}将自家一套安置房出租给{b}，约定押金3000元。租期届满{b}搬走后，{a}以墙面污损、热水器损坏为由"
        "拒退押金，{b}认为属于正常使用损耗。",
        matters="房屋损坏情况及押金扣减数额",
        claims=("扣除维修费2000元", "全额退还押金3000元"),
        hearing="调解员到房屋现场查看，拍照记录损坏情况，询问了热水器维修报价。",
        outcome=Success(
            WRITTEN,
            "一、{a}退还{b}押金2400元，扣除热水器维修费600元；二、双方租赁关系就此终止，互不再追究。",
            responsibility="热水器损坏系{b}使用不当所致，墙面污损属正常损耗。",
            manner="{a}于签订协议时当面退还押金。",
            court=False,
        ),
    ),
    # --- 回访: agreed two to three weeks ago, the first follow-up done -------------------------------------
    Case(
        "follow_up", 38, "neighbour", "neighbours", ("legal",), concluded=20, sessions=2,
        title="空调外机噪音和滴水纠纷",
        facts="{b}家空调外机安装在{a}家卧室窗下，运行噪音大，冷凝水滴落在{a}家窗台上。双方多次交涉未果。",
        matters="空调外机移位及费用",
        claims=("{b}把外机移到别处", "移机费用应由双方分担"),
        hearing="调解员到现场查看外机位置，联系安装师傅评估了移位方案。",
        outcome=Success(
            WRITTEN,
            "一、{b}于十五日内将空调外机移至自家阳台外侧，并加装冷凝水管；二、移机费用350元由{b}承担；"
            "三、双方和睦相处。",
            responsibility="外机安装位置不当，{b}应承担主要责任。",
            manner="移机完成后由调解员回访查看。",
            court=False,
        ),
    ),
    Case(
        "follow_up", 26, "damages", "neighbours", ("veteran", "legal"), concluded=16,
        title="电动车剐蹭老人赔偿纠纷",
        facts="{b}在小区内骑电动车速度过快，剐倒了正在散步的{a}，致{a}右手腕挫伤，花去医药费620元。",
        matters="医药费赔偿",
        claims=("赔偿医药费并道歉", "愿意赔偿医药费"),
        hearing="调解员核对了医药费票据，{b}当面向{a}道歉。",
        outcome=Success(
            ORAL,
            "{b}赔偿{a}医药费620元及营养费200元，共计820元，当场付清；{b}今后在小区内慢速骑行。",
            manner="当场付清，调解员记录在卷。",
        ),
    ),
    # --- 调解成功: agreements waiting for their follow-ups -----------------------------------------------
    Case(
        "succeeded", 19, "neighbour", "neighbours", ("legal",), concluded=7, sessions=2,
        title="楼道安装监控引发隐私纠纷",
        facts="{b}为防电动车被盗，在自家门口安装了摄像头，镜头正对{a}家入户门。{a}认为侵犯了自家隐私，要求拆除，"
        "{b}拒绝。",
        matters="摄像头的安装位置和拍摄范围",
        claims=("拆除摄像头", "可以调整角度，不同意拆除"),
        hearing="调解员讲解《民法典》关于隐私权保护的规定，{b}同意调整摄像头角度。",
        outcome=Success(
            WRITTEN,
            "一、{b}于三日内将摄像头角度调整为仅拍摄自家门口及电动车停放处，不得拍摄{a}家入户门；二、调整后由调解员"
            "和{a}共同查看监控画面确认。",
            responsibility="{b}安装摄像头的拍摄范围超出自家区域，应予调整。",
            manner="调整完成后现场确认。",
            court=False,
        ),
    ),
    Case(
        "succeeded", 24, "family", "elder_child", ("teacher", "legal"), concluded=10, sessions=2,
        title="老人轮流居住照料纠纷",
        facts="{a}年近八旬，行动不便。儿子{b}与其他子女约定轮流照料老人，但{b}以住房狭小为由，轮到自己时不接老人，"
        "子女之间互相推诿。",
        matters="轮流照料的安排和费用分担",
        claims=("子女按约定轮流照料", "出钱不出力，每月多出生活费"),
        hearing="调解员召集{a}的子女开家庭会议，讲解赡养义务，听取老人本人的意愿。",
        outcome=Success(
            WRITTEN,
            "一、{a}仍在本社区自家居住，由子女每人轮流照料一个月；二、{b}轮到照料确有困难的，每月支付代为照料的子女"
            "护理费1500元；三、老人医疗费由子女平均负担。",
            responsibility="{a}的子女均负有赡养义务。",
            manner="按月执行，网格员协助回访。",
            court=False,
        ),
    ),
    Case(
        "succeeded", 14, "property", "org:property", ("legal",), concluded=3, sessions=2,
        title="地下储藏室渗水维修纠纷",
        facts="{a}家地下储藏室墙面渗水，存放的粮食和衣物受潮霉变。{a}认为是小区排水管道问题，要求{b}维修并赔偿；"
        "{b}称属于房屋质量问题，应找开发商。",
        matters="维修责任；受损物品的赔偿",
        claims=("物业维修并赔偿损失800元", "协助联系维修，不承担赔偿"),
        hearing="调解员会同物业维修人员现场查看，确认渗水来自公共排水管接口。",
        outcome=Success(
            WRITTEN,
            "一、{b}于二十日内维修公共排水管接口，并对储藏室墙面做防水处理；二、{b}补偿{a}受损物品400元。",
            responsibility="渗水系公共排水管接口老化所致，属物业维修养护范围。",
            manner="维修完毕后通知{a}和调解员验收。",
            deadline_days=20,
            court=False,
        ),
    ),
    Case(
        "succeeded", 6, "neighbour", "neighbours", ("party_member", "legal"), concluded=1,
        title="公共绿地种菜引发邻里矛盾",
        facts="{b}在楼前公共绿地开垦菜地并浇灌粪水，气味难闻，招来蚊蝇。{a}劝说无果，双方发生争执。",
        matters="公共绿地的恢复",
        claims=("{b}平整菜地，恢复绿化", "菜收完后再平整"),
        hearing="调解员到楼前查看，讲解小区公共绿地的管理规定。",
        outcome=Success(
            ORAL,
            "{b}于本月底前收完蔬菜、平整菜地，此后不再在公共绿地种菜、浇粪水；社区在楼后统一规划的“共享菜园”中为"
            "{b}安排一小块地。",
            manner="口头达成，调解员记录在卷。",
        ),
    ),
    # --- 调解中 --------------------------------------------------------------------------------------------
    Case(
        "reopened", 26, "damages", "neighbours", ("legal", "veteran"), concluded=20, last_session=5,
        title="厨房下水管漏水赔偿纠纷",
        facts="{b}家厨房下水管破裂，污水渗入楼下{a}家厨房，致橱柜泡坏、地面起鼓。",
        matters="橱柜损失的赔偿数额",
        claims=("赔偿橱柜损失2500元", "最多赔偿1500元"),
        hearing="调解员查看了{a}家橱柜受损情况和维修报价，双方各让一步。",
        outcome=Success(
            WRITTEN,
            "一、{b}于七日内赔偿{a}橱柜损失2000元；二、{b}更换自家厨房下水管。",
            responsibility="{b}家下水管破裂致损，应承担赔偿责任。",
            manner="赔偿款转账至{a}账户。",
            deadline_days=7,
            court=False,
        ),
        reopening=(
            "回访得知{b}已更换下水管，但以手头紧张为由未支付赔偿款，{a}要求重新调解。",
            "再次召集双方，{b}表示手头紧张，提出分两期支付赔偿款，{a}同意考虑。",
        ),
        next_step="约定下周再次调解，确定分期支付方案",
    ),
    Case(
        "mediating", 42, "neighbour", "neighbours", ("legal",), sessions=2, risk=Risk.ORANGE, last_session=12,
        title="楼上孩子跑跳噪音纠纷",
        facts="{b}家两个孩子经常在晚上十点后跑跳、拍球，{a}家老人患心脏病，长期休息不好。{a}曾用木棍敲击暖气管道，"
        "{b}认为是故意报复，双方矛盾激化。",
        matters="夜间噪音；敲击暖气管道的行为",
        claims=("{b}晚上九点后不让孩子跑跳，铺设地垫", "{a}停止敲击暖气管道并道歉"),
        hearing="分别听取双方意见，调解员建议{b}铺设隔音地垫，{a}停止敲击管道。{b}同意铺地垫，但要求{a}先道歉，"
        "双方僵持。",
        next_step="请楼长一起做双方工作，约定再次调解",
    ),
    Case(
        "mediating", 53, "housing", "neighbours", ("lawyer", "legal"), sessions=3, last_session=4,
        extension="需待街道规划部门现场核实原村干部的书面意见，双方当事人同意延长调解期限一个月。",
        title="一楼住户私建院墙占用公共通道纠纷",
        facts="一楼住户{b}在楼侧私自砌筑院墙，圈占了通往自行车棚的公共通道。{a}等楼上住户出行需要绕行，要求拆除；"
        "{b}称院墙已征得原村干部同意。",
        matters="院墙是否拆除；公共通道的恢复",
        claims=("拆除院墙，恢复通道", "保留院墙，另开一个小门"),
        hearing="调解员到现场查看院墙和通道，{b}出示了原村干部签字的纸条，调解员向街道规划部门了解有关规定。",
        next_step="等规划部门核实意见后再次调解",
    ),
    Case(
        "mediating", 15, "neighbour", "watch", ("party_member", "legal"), source=Source.WATCH, last_session=5,
        title="车库开设加工作坊扰民纠纷",
        facts="{b}将自家车库改作加工作坊，白天切割打磨，噪音和粉尘很大，楼上{a}家不堪其扰。网格员走访时两次发现"
        "双方有矛盾，列为关注事项后转入调解。",
        matters="作坊的噪音、粉尘；车库的用途",
        claims=("{b}停止在车库加工", "给两个月时间另找场地"),
        hearing="调解员到车库现场查看，{b}承认噪音扰民，但称一时找不到新场地。",
        next_step="联系社区就业服务站帮助{b}寻找新场地",
    ),
    Case(
        "mediating", 8, "neighbour", "request", ("party_member", "legal"), source=Source.REQUEST, last_session=3,
        title="装修噪音协商未果纠纷",
        facts="{a}向社区反映：{request}社区将诉求转入和为贵调解室。经了解，{b}家装修已持续两个月，周末也施工。",
        matters="装修施工时间和周期",
        claims=("周末和午休时间停止施工", "希望尽快完工，请{a}体谅"),
        hearing="调解员联系物业查看了{b}家装修备案，{b}同意周末停止高噪音作业，对午休时间仍有异议。",
        next_step="与物业一起再约双方面谈",
    ),
    Case(
        "mediating", 11, "family", "elder_child", ("model", "teacher"), last_session=6,
        title="老人再婚引发家庭矛盾",
        facts="{a}丧偶多年，打算与同村一位老人再婚。儿子{b}担心家中安置房日后的归属，坚决反对，父子关系紧张。",
        matters="老人再婚；安置房的归属",
        claims=("子女尊重自己再婚的意愿", "先对房产作出安排再谈再婚"),
        hearing="调解员讲解《民法典》关于子女应当尊重父母婚姻权利的规定，{b}态度有所缓和。",
        next_step="约老人和子女一起商量房产安排",
    ),
    # --- 受理 and 登记 -------------------------------------------------------------------------------------
    Case(
        "accepted", 3, "property", "org:property", ("legal",),
        title="电梯停运维修费用分摊纠纷",
        facts="{a}所在楼电梯故障停运二十余天。{b}称维修需动用专项维修资金，须经业主表决；{a}等高层住户认为物业"
        "拖延，要求立即修复并减免停运期间的物业费。",
        matters="电梯修复期限；停运期间物业费的减免",
        claims=("立即修复电梯，减免停运期间物业费", "按程序申请维修资金，不同意减免"),
    ),
    Case(
        "accepted", 1, "neighbour", "neighbours", ("veteran",),
        title="占用消防通道停车纠纷",
        facts="{b}经常将私家车停在楼前消防通道上，{a}多次劝说无果，双方发生口角，{a}怀疑{b}划伤了自家车辆。",
        matters="消防通道停车；车辆划伤",
        claims=("{b}不再占用消防通道，赔偿车辆修补费", "否认划车"),
    ),
    Case(
        "registered", 0, "neighbour", "neighbours", ("legal",), risk=Risk.RED, source=Source.GRID_REPORT,
        title="争抢停车位发生推搡",
        facts="今天上午，{a}与{b}因争抢楼前停车位发生推搡，双方家人也赶来，险些发生群体冲突。网格员到场劝开，"
        "双方情绪仍很激动，扬言要“讨个说法”。",
        matters="停车位使用；推搡中的损伤",
        claims=("{b}道歉，赔偿看病费用", "{a}先动手，应当向自己道歉"),
    ),
    Case(
        "registered", 2, "family", "elder_child", (), risk=Risk.ORANGE,
        title="子女不履行赡养义务",
        facts="{a}有两个儿子，因当年分家时财产分配不均，儿子{b}拒绝给付赡养费，老人靠低保金生活。",
        matters="赡养费的给付",
        claims=("{b}每月给付赡养费", "分家不公，应由兄弟承担"),
    ),
    # --- 不予受理 ------------------------------------------------------------------------------------------
    Case(
        "rejected", 148, "contract", "person:borrower", (),
        title="民间借贷纠纷",
        facts="{a}于前年借给{b}人民币五万元，约定一年归还，到期后{b}一直未还。",
        matters="借款本金及利息的归还",
        claims=("归还借款五万元及利息", ""),
        outcome="经了解，{a}已就该借款向人民法院提起诉讼，法院已立案受理。人民法院已经受理的纠纷，人民调解委员会"
        "不予受理，已告知当事人。",
    ),
    Case(
        "rejected", 71, "expropriation", "org:office", (),
        title="对拆迁附属物补偿标准有异议",
        facts="{a}认为原村宅基地拆迁时地上附属物的补偿标准偏低，要求追加补偿。",
        matters="附属物补偿标准",
        claims=("追加附属物补偿", ""),
        outcome="该事项属于对行政机关补偿决定的异议，不属于人民调解的范围，已引导{a}依法申请行政复议或向有关部门反映。",
    ),
    # --- 调解不成: the escalations counted against the room ---------------------------------------------
    Case(
        "failed_closed", 205, "land", "org:coop", ("cadre", "lawyer"), concluded=180, sessions=3,
        title="土地流转租金分配纠纷",
        facts="原前屯村承包地整体流转后，{b}按股份分配租金。{a}认为应按原承包面积分配，自家少分了两年的租金约"
        "四千元。",
        matters="土地流转租金的分配标准",
        claims=("按原承包面积补足租金", "按股份分配，已经村民代表会议通过"),
        hearing="调解员调取了土地流转合同和村民代表会议记录，分别听取双方意见。",
        outcome=Failure(
            Dispute.EscalatedTo.COURT,
            "双方对租金分配标准分歧较大，{a}坚持按原承包面积分配，{b}坚持按股分配，经三次调解未能达成协议。"
            "已告知{a}可以向人民法院起诉，并联系法律援助。",
        ),
    ),
    Case(
        "failed", 92, "traffic", "person:driver", ("veteran", "legal"), concluded=80, sessions=2,
        title="小区内倒车撞伤老人赔偿纠纷",
        facts="{b}驾车在小区内倒车时撞倒了{a}，致{a}左腿骨折住院治疗，花去医疗费三万余元。{b}的车辆投保了交强险，"
        "双方对护理费、误工费数额分歧很大。",
        matters="医疗费、护理费、误工费的赔偿数额",
        claims=("赔偿全部医疗费、护理费和误工费共五万元", "等保险公司理赔后再谈"),
        hearing="调解员核对了住院票据，讲解道路交通事故损害赔偿的有关规定，{b}坚持等保险公司定损。",
        outcome=Failure(
            Dispute.EscalatedTo.POLICE,
            "双方对伤残鉴定和赔偿数额分歧较大，{b}要求等交警部门出具事故认定书和伤残鉴定后再谈。已引导双方通过交警部门"
            "调解处理。",
        ),
    ),
    Case(
        "failed", 64, "labour", "org:factory", ("lawyer",), concluded=45, sessions=2, risk=Risk.ORANGE,
        title="工伤待遇纠纷",
        facts="{a}在{b}工作时被机器压伤右手，{b}未为其缴纳工伤保险，只愿意一次性补偿两万元。",
        matters="工伤待遇的赔偿数额",
        claims=("按工伤保险待遇标准赔偿", "一次性补偿两万元"),
        hearing="调解员讲解《工伤保险条例》，{b}承认未缴纳工伤保险，但坚持只补偿两万元。",
        outcome=Failure(
            Dispute.EscalatedTo.ARBITRATION,
            "{b}坚持只补偿两万元，与{a}的要求差距过大。劳动争议须经劳动仲裁，已引导{a}向劳动人事争议仲裁委员会申请"
            "仲裁，并联系法律援助。",
        ),
    ),
]  # fmt: skip

# Early signs flagged on home visits: (days ago, dispute type, what the grid worker saw), by pair. The first
# two pairs are flagged twice (open watch items); the watched pair of the WATCH case above comes first.
WATCHED_SIGNS = [
    ((26, "车库里切割打磨声音很大，楼上住户多次下楼理论。"), (18, "楼上住户再次反映车库作坊噪音，双方在楼道争吵。")),
    ((50, "两家因楼道堆放杂物多次争吵。"), (12, "两家为楼道杂物再次争吵，一方扬言要把杂物扔掉。")),
    ((33, "两家因储藏室门前停放电动车发生口角。"), (4, "两家为电动车停放再次争执，互不相让。")),
]
SINGLE_SIGNS = [
    (70, "family", "老人反映儿媳不让其看望孙子，家庭关系紧张。"),
    (40, "neighbour", "楼上空调冷凝水滴到楼下窗台，楼下住户有意见。"),
    (9, "property", "住户对物业收取车位管理费有意见，情绪较大。"),
]


def seed_mediation(ctx):
    """The committees' rosters, a year of disputes, early signs and watch items (see the module docstring)."""
    street = ctx.state["street"]
    communities = {c.name: c for c in street.communities.all()}
    mediator_user = User.objects.filter(username=MEDIATOR_USER).first()
    made = sum(_seed_roster(communities[name], rows, mediator_user) for name, rows in ROSTER.items())
    ctx.log(f"调解员名册：新建 {made} 人")
    if Dispute.objects.filter(community__street=street).exists():
        ctx.log("调解案件已存在，跳过")
        return
    main = communities[MAIN_COMMUNITY]
    people = People(ctx.rng("mediation"), main)
    if len(people.households) < MIN_HOUSEHOLDS:
        ctx.log("居民户太少，不生成调解案件")
        return
    stories = Stories(street, main, people)
    stories.watch_pairs = [
        stories.flag_twice(*people.neighbours(), signs, dispute_type=case_type)
        for signs, case_type in zip(WATCHED_SIGNS, ("neighbour", "neighbour", "housing"), strict=True)
    ]
    for sign in SINGLE_SIGNS:
        stories.flag_once(*people.neighbours(), *sign)
    for case in sorted(CASES, key=lambda c: -c.registered):
        stories.tell(case)
    disputes = Dispute.objects.filter(community__street=street)
    ctx.log(
        f"调解案件 {disputes.count()}（调解成功 {disputes.exclude(agreement_kind='').count()}），"
        f"调解记录 {MediationSession.objects.filter(dispute__in=disputes).count()}，"
        f"回访 {FollowUp.objects.filter(dispute__in=disputes).count()}，矛盾苗头 {stories.signs}"
    )


def _seed_roster(community, rows, mediator_user):
    """The committee's roster, when it has none; the `mediator` user's entry is named as the user. Returns how
    many entries were made."""
    if community.mediators.exists():
        return 0
    linked = Mediator.objects.filter(user=mediator_user).exists() if mediator_user else True
    entries = []
    for _key, name, category, skills, phone, active, note in rows:
        user = None
        if name is None:
            if linked:
                continue
            user, name, phone = mediator_user, mediator_user.full_name, mediator_user.phone
        entries.append(
            Mediator(
                community=community,
                name=name,
                category=category,
                skills=skills,
                phone=phone,
                user=user,
                is_active=active,
                note=note,
            )
        )
    Mediator.objects.bulk_create(entries)
    return len(entries)


def roster_of(community):
    """{roster key: Mediator} of a community, the keys as in ROSTER."""
    by_name = {m.name: m for m in community.mediators.select_related("user")}
    linked = next((m for m in by_name.values() if m.user and m.user.username == MEDIATOR_USER), None)
    roster = {}
    for key, name, *_rest in ROSTER.get(community.name, []):
        entry = linked if name is None else by_name.get(name)
        if entry is not None:
            roster[key] = entry
    return roster


class People:
    """Residents of a sample of the community's households, drawn as parties: neighbours in one building, an old
    resident, a married couple, a head of household. A household is used once while unused ones last."""

    def __init__(self, rng, community):
        self.rng = rng
        busy = VisitTask.objects.open().values("household")
        ids = list(
            Household.objects.filter(building__grid__community=community, residents__isnull=False)
            .exclude(pk__in=busy)
            .order_by("pk")
            .values_list("pk", flat=True)
            .distinct()
        )
        chosen = sorted(rng.sample(ids, min(len(ids), POOL_SIZE)))
        self.households = list(
            Household.objects.filter(pk__in=chosen)
            .select_related("building__grid__community")
            .prefetch_related("residents")
            .order_by("pk")
        )
        rng.shuffle(self.households)
        self.used = set()

    def _take(self, fits=lambda household: True):
        for reuse in (False, True):
            for household in self.households:
                if (reuse or household.pk not in self.used) and fits(household):
                    self.used.add(household.pk)
                    return household
        return None

    @staticmethod
    def head(household):
        residents = list(household.residents.all())
        return next((r for r in residents if r.relation == Resident.Relation.HEAD), residents[0])

    def neighbours(self, household=None):
        """Two households of one building (of `household`'s when given), else of the community."""
        first = household or self._take(lambda h: self._in_building(h) > 1) or self._take()
        second = self._take(lambda h: h.pk != first.pk and h.building_id == first.building_id) or self._take(
            lambda h: h.pk != first.pk
        )
        return first, second

    def _in_building(self, household):
        return sum(1 for h in self.households if h.building_id == household.building_id and h.pk not in self.used)

    def elder(self):
        household = self._take(lambda h: any((r.age or 0) >= 65 for r in h.residents.all())) or self._take()
        residents = sorted(household.residents.all(), key=lambda r: -(r.age or 0))
        return residents[0]

    def couple(self):
        def has_couple(household):
            relations = {r.relation for r in household.residents.all()}
            return {Resident.Relation.HEAD, Resident.Relation.SPOUSE} <= relations

        household = self._take(has_couple)
        if household is None:
            return [self.head(h) for h in self.neighbours()]
        spouse = next(r for r in household.residents.all() if r.relation == Resident.Relation.SPOUSE)
        return [spouse, self.head(household)]

    def resident(self):
        return self.head(self._take())

    def occupation(self, resident):
        if (resident.age or 0) >= 60:
            return "退休"
        return self.rng.choice(LOCAL_JOBS)

    def relative(self, resident, *, age_gap):
        """A child or sibling of `resident` living in the city: an outside person with the same surname."""
        age = max(18, (resident.age or 60) - age_gap)
        gender = self.rng.choice(("male", "female")) if age_gap < 10 else "male"
        today = timezone.localdate()
        return PartyData(
            side=Party.Side.RESPONDENT,
            kind=Party.Kind.PERSON,
            name=person_name(self.rng, gender, today.year - age, family_name=resident.name[0]),
            gender=gender,
            age=age,
            occupation=self.rng.choice(CITY_JOBS),
            address=f"{self.rng.choice(CITY_ADDRESSES)}{self.rng.randint(1, 99)}号",
        )


class Stories:
    """Tells CASES through `mediation.services`, then dates each step back to the day it happened: the services
    stamp the real clock, and every row stamped since the step began gets the story's time."""

    def __init__(self, street, community, people):
        self.community, self.people = community, people
        self.roster = roster_of(community)
        self.started = timezone.now()
        self.today = timezone.localdate(self.started)
        users = {u.username: u for u in User.objects.filter(username__in=["cadre", "admin", MEDIATOR_USER])}
        self.cadre = users.get("cadre") or users.get("admin") or User.objects.filter(is_superuser=True).first()
        self.mediator_user = users.get(MEDIATOR_USER)
        self.workers = Workers(street)
        self.watch_pairs = []
        self.signs = 0

    # --- time ---

    def moment(self, days_ago, hour=9, minute=30):
        """`days_ago` days before today at this local time, and always before the step began."""
        day = self.today - datetime.timedelta(days=days_ago)
        at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))
        return min(at, self.started - datetime.timedelta(minutes=5))

    def backdate(self, at, by, dispute=None, **dates):
        """Give the rows the last service call stamped with the real clock the story's time `at`, and the
        dispute (and its history entry) the `dates` the service set from today's date; the history entries
        name `by`, as a request through the portal would."""
        since = self.started
        if dates:
            Dispute.objects.filter(pk=dispute.pk).update(**dates)
            Dispute.history.filter(id=dispute.pk, history_date__gte=since).update(**dates)
        DisputeEvent.objects.filter(at__gte=since).update(at=at)
        DisputeMediator.objects.filter(assigned_at__gte=since).update(assigned_at=at)
        DisputeMediator.objects.filter(recused_at__gte=since).update(recused_at=at)
        FollowUp.objects.filter(done_at__gte=since).update(done_at=at)
        for model in (Dispute, DisputeMediator, MediationSession, FollowUp):
            model.history.filter(history_date__gte=since).update(history_date=at, history_user=by)

    # --- early signs ---

    def _flag(self, household, other, days_ago, dispute_type, description):
        at = self.moment(days_ago, 10)
        if household.created_at > at:
            return None  # not registered yet then
        worker = self.workers.of_grid(household.building.grid_id, household.building.grid.community_id)[0]
        visit, _created = log_visit(
            household=household,
            by=worker,
            outcome=Visit.Outcome.MET,
            visited_at=at,
            problem=description,
            measures="当场劝说双方冷静，告知可到和为贵调解室调解。",
            feedback="已报社区调解委员会关注。",
            handling=Visit.Handling.ON_THE_SPOT,
        )
        self.signs += 1
        return flag_early_sign(
            visit, other_household=other, dispute_type=dispute_type, description=description, by=worker
        )

    def flag_twice(self, household, other, signs, *, dispute_type):
        """Flag the pair from each side: the second flag raises the pair's watch item."""
        (first_day, first_text), (second_day, second_text) = signs
        self._flag(household, other, first_day, dispute_type, first_text)
        return self._flag(other, household, second_day, dispute_type, second_text)

    def flag_once(self, household, other, days_ago, dispute_type, description):
        self._flag(household, other, days_ago, dispute_type, description)

    # --- disputes ---

    def _parties(self, case):
        """(applicant, respondent) as PartyData, the applicant's household (or None), and what else the
        registration takes from them (a watch item, a resident request and its text)."""
        people = self.people
        kind, _sep, key = case.parties.partition(":")
        extra = {}
        if kind in ("elder_child", "siblings", "org", "person"):
            resident = people.elder() if kind == "elder_child" else people.resident()
            applicant = party_from_resident(resident, side=Party.Side.APPLICANT, occupation=people.occupation(resident))
            if kind in ("elder_child", "siblings"):
                respondent = people.relative(resident, age_gap=28 if kind == "elder_child" else 3)
            elif kind == "org":
                name, representative, address = ORGANISATIONS[key]
                respondent = PartyData(
                    side=Party.Side.RESPONDENT,
                    kind=Party.Kind.ORGANISATION,
                    name=name,
                    representative=representative,
                    address=address,
                )
            else:
                name, gender, age, occupation, address = OUTSIDERS[key]
                respondent = PartyData(
                    side=Party.Side.RESPONDENT,
                    kind=Party.Kind.PERSON,
                    name=name,
                    gender=gender,
                    age=age,
                    occupation=occupation,
                    address=address,
                )
            return applicant, respondent, resident.household, extra
        if kind == "couple":
            residents = people.couple()
        elif kind == "watch" and self.watch_pairs and self.watch_pairs[0]:
            item = self.watch_pairs[0]
            pair = Household.objects.filter(pk__in=[item.household_a_id, item.household_b_id])
            residents = [people.head(h) for h in pair.select_related("building__grid__community").order_by("-pk")]
            extra["watch_item"] = item
        elif kind == "request":
            request = self._neighbour_request()
            households = people.neighbours(request.household if request else None)
            residents = [people.head(h) for h in households]
            extra["request_text"] = request.description if request else "楼上装修噪音大，协商未果。"
            if request:
                extra["resident_request"] = request
        else:
            residents = [people.head(h) for h in people.neighbours()]
        a, b = residents
        return (
            party_from_resident(a, side=Party.Side.APPLICANT, occupation=people.occupation(a)),
            party_from_resident(b, side=Party.Side.RESPONDENT, occupation=people.occupation(b)),
            a.household,
            extra,
        )

    def _neighbour_request(self):
        """The community's first 邻里矛盾 resident request not yet turned into a dispute."""
        return (
            ResidentRequest.objects.filter(
                household__building__grid__community=self.community,
                category=ResidentRequest.Category.NEIGHBOUR,
                dispute__isnull=True,
            )
            .select_related("household__building__grid__community")
            .order_by("pk")
            .first()
        )

    def _registrar(self, case, household, mediating_user):
        """Who registers: the grid worker who reported it, the room's mediator on duty, or the cadre."""
        if case.source == Source.GRID_REPORT and household is not None:
            grid = household.building.grid
            return self.workers.of_grid(grid.pk, grid.community_id)[0]
        return mediating_user or self.cadre

    def tell(self, case):
        """Register the case and walk it to where its story stops."""
        applicant, respondent, household, extra = self._parties(case)
        names = {"a": applicant.name, "b": respondent.name, "request": extra.pop("request_text", "")}

        def text(template):
            return template.format(**names)

        applicant.claims, respondent.claims = (text(claim) for claim in case.claims)
        mediators = [self.roster[key] for key in case.mediators if key in self.roster]
        mediating_user = self.mediator_user if any(m.user_id for m in mediators) else None
        registrar = self._registrar(case, household, mediating_user)
        at = self.moment(case.registered, 9)
        dispute = register_dispute(
            community=self.community,
            grid=household.building.grid if household else None,
            by=registrar,
            parties=[applicant, respondent],
            mediators=mediators,
            at=at,
            dispute_type=case.dispute_type,
            source=case.source,
            risk=case.risk,
            title=text(case.title),
            facts=text(case.facts),
            matters=text(case.matters),
            **extra,
        )
        self.backdate(at, registrar)
        if case.risk != Risk.YELLOW and case.registered > 0:
            Dispute.objects.filter(pk=dispute.pk).update(risk_notified_at=at + datetime.timedelta(minutes=20))
        story = _Story(self, case, dispute, text, mediating_user or self.cadre)
        story.walk()


class _Story:
    """One dispute's walk through its flow, each step at its day."""

    def __init__(self, stories, case, dispute, text, recorder):
        self.stories, self.case, self.dispute, self.text, self.recorder = stories, case, dispute, text, recorder
        self.cadre = stories.cadre

    def walk(self):
        case = self.case
        if case.recusal:
            self._recuse(*case.recusal)
        if case.walk == "registered":
            return
        accepted_day = max(case.registered - 1, 0)
        if case.walk == "rejected":
            self._advance(State.REJECTED, accepted_day, reason=self.text(case.outcome))
            return
        self._advance(State.ACCEPTED, accepted_day, hour=10)
        if case.walk == "accepted":
            return
        end = case.concluded if case.concluded is not None else case.last_session
        days = session_days(accepted_day, end, case.sessions)
        extension_day = accepted_day - 26 if case.extension else None
        for index, day in enumerate(days):
            if extension_day is not None and day < extension_day:
                self._extend(extension_day)
                extension_day = None
            self._session(day, index, len(days))
        if case.walk in ("failed", "failed_closed"):
            self._fail(case.concluded)
            if case.walk == "failed_closed":
                self._advance(State.CLOSED, case.concluded - 10, note="调解不成，已告知当事人其他解决途径，结案归档。")
            return
        if case.walk == "mediating":
            return
        self._succeed(case.concluded)
        if case.walk == "reopened":
            self._follow_up(performed=False)
            self._session(case.last_session, 1, 2, reopened=True)
            return
        if case.walk == "follow_up":
            self._follow_up(performed=True)
        elif case.walk == "closed":
            while self._follow_up(performed=True):
                pass

    def _advance(self, to_state, days_ago, *, hour=10, note="", **details):
        at = self.stories.moment(days_ago, hour)
        self.dispute.advance(to_state, by=self.cadre, at=at, note=note, **details)
        self.stories.backdate(at, self.cadre)

    def _recuse(self, key, reason, replacement_key):
        roster = self.stories.roster
        assignment = self.dispute.assignments.get(mediator=roster[key], recused_at__isnull=True)
        recuse(assignment, reason=self.text(reason), by=self.cadre, replacement=roster[replacement_key])
        self.stories.backdate(self.stories.moment(self.case.registered, 11), self.cadre)

    def _extend(self, days_ago):
        at = self.stories.moment(days_ago, 15)
        extend_deadline(self.dispute, by=self.recorder, reason=self.case.extension, parties_consent=True)
        self.stories.backdate(at, self.recorder, self.dispute, extended_on=at.date())

    def _session(self, days_ago, index, count, *, reopened=False):
        case, text = self.case, self.text
        last = index == count - 1
        if reopened:
            record, next_step = case.reopening[1], case.next_step
        elif index == 0:
            record = case.hearing or "分别听取双方陈述，调解员讲解有关法律规定，做双方的思想工作。"
            next_step = "约双方再次调解"
        else:
            record, next_step = "调解员背靠背做双方工作，双方立场有所松动。", "约双方再次调解"
        if last and not reopened:
            record, next_step = self._closing(record, next_step, single=count == 1)
        at = self.stories.moment(days_ago, 14, 30)
        mediators = [a.mediator for a in self.dispute.assignments.filter(recused_at__isnull=True)]
        record_session(
            self.dispute,
            by=self.recorder,
            mediators=mediators,
            held_on=at.date(),
            place="纠纷现场" if "现场" in record and index == 0 else "和为贵调解室",
            attendees=text("{a}、{b}"),
            record=text(record),
            next_step=text(next_step),
            recorded_at=at,
        )
        self.stories.backdate(at, self.recorder)

    def _closing(self, record, next_step, *, single):
        """The last session's record: it ends in the agreement, the failure, or the next step."""
        outcome, walk = self.case.outcome, self.case.walk
        lead = "" if single else "经多次调解，"
        if isinstance(outcome, Success):
            kind = "当场签订书面调解协议" if outcome.kind == WRITTEN else "达成口头协议，调解员记录在卷"
            return f"{record if single else ''}{lead}双方在调解员主持下互谅互让，{kind}。", "回访协议履行情况"
        if isinstance(outcome, Failure):
            return f"{record if single else ''}{lead}双方分歧仍然较大，未能达成协议。", "告知当事人其他解决途径"
        return record, self.case.next_step if walk == "mediating" else next_step

    def _succeed(self, days_ago):
        outcome = self.case.outcome
        at = self.stories.moment(days_ago, 15, 30)
        deadline = at.date() + datetime.timedelta(days=outcome.deadline_days) if outcome.deadline_days else None
        conclude_success(
            self.dispute,
            by=self.recorder,
            at=at,
            agreement_kind=outcome.kind,
            agreement=self.text(outcome.agreement),
            responsibility=self.text(outcome.responsibility),
            performance_manner=self.text(outcome.manner),
            performance_deadline=deadline,
            court_confirmation=outcome.court if outcome.kind == WRITTEN else None,
        )
        self.stories.backdate(at, self.recorder)

    def _fail(self, days_ago):
        outcome = self.case.outcome
        at = self.stories.moment(days_ago, 15, 30)
        conclude_failure(
            self.dispute, by=self.recorder, escalated_to=outcome.escalated_to, failure_reason=self.text(outcome.reason)
        )
        self.stories.backdate(at, self.recorder, self.dispute, concluded_on=at.date())

    def _follow_up(self, *, performed):
        """Record the next open follow-up on its due day; False when none is left or it is not due yet."""
        follow_up = FollowUp.objects.open().filter(dispute=self.dispute).order_by("due_on", "round").first()
        if follow_up is None or follow_up.due_on > self.stories.today:
            return False
        at = self.stories.moment((self.stories.today - follow_up.due_on).days, 10)
        if not performed:
            note = self.case.reopening[0]
        elif follow_up.round == 1:
            note = "上门回访，协议已按约履行，双方关系缓和。"
        else:
            note = "再次回访，协议履行完毕，双方无异议。"
        by = follow_up.assignee if follow_up.assignee_id else self.cadre
        dispute = record_follow_up(follow_up, by=by, performed=performed, note=self.text(note))
        closed = {"closed_on": at.date()} if dispute.state == State.CLOSED else {}
        self.stories.backdate(at, by, dispute, **closed)
        self.dispute.refresh_from_db()
        return True


def session_days(accepted_day, end, count):
    """`count` session days (days ago) after acceptance, evenly spread, the last on `end`."""
    span = max(accepted_day - end, 0)
    return [accepted_day - round(span * (index + 1) / count) for index in range(count)]
