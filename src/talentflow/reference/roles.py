"""hh.ru professional roles that count as IT.

hh.ru replaced its ``specializations`` catalogue with ``professional_roles`` in 2022 and added roles to its IT
category (id 11, «Информационные технологии») in 2023. Counting "IT" with the current category would make
2022 and 2024 incomparable, so talentflow's ``is_it`` uses the roles that were in the category throughout
2022–2024; the current category is kept for users who want it.
"""

from __future__ import annotations

IT_CATEGORY_ID = "11"

#: Roles of category 11 present both in the 2022-07 and the 2024-12 catalogue.
IT_ROLES_STABLE: frozenset[str] = frozenset(
    {
        "10",  # Аналитик
        "12",  # Арт-директор, креативный директор
        "25",  # Гейм-дизайнер
        "34",  # Дизайнер, художник
        "36",  # Директор по информационным технологиям (CIO)
        "73",  # Менеджер продукта
        "96",  # Программист, разработчик
        "104",  # Руководитель группы разработки
        "107",  # Руководитель проектов
        "112",  # Сетевой инженер
        "113",  # Системный администратор
        "114",  # Системный инженер
        "116",  # Специалист по информационной безопасности
        "121",  # Специалист технической поддержки
        "124",  # Тестировщик
        "125",  # Технический директор (CTO)
        "126",  # Технический писатель
    }
)

#: Category 11 as of 2024-12: the stable roles plus those added in 2023.
IT_ROLES_CURRENT: frozenset[str] = IT_ROLES_STABLE | frozenset(
    {
        "148",  # Системный аналитик
        "150",  # Бизнес-аналитик
        "155",  # Методолог
        "156",  # BI-аналитик, аналитик данных
        "157",  # Руководитель отдела аналитики
        "160",  # DevOps-инженер
        "164",  # Продуктовый аналитик
        "165",  # Дата-сайентист
    }
)

#: The old ``specializations`` catalogue (retired 2022-12-01) put IT under profarea 1.
IT_PROFAREA_ID = "1"
