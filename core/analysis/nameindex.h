#pragma once

#include <QHash>
#include <QList>
#include <QString>

namespace poolscope {

// Numbers the distinct names of a sample's sessions (applications, roles, databases, owners):
// by the address of a name's text first - the reader shares one string per distinct
// application, role and database, and TagMemory one per stack, so thousands of sessions name a
// few strings - and by the text itself only the first time an address is seen. Every name
// looked up is kept until the index goes, so no two texts can share an address.
class NameIndex
{
public:
    explicit NameIndex(qsizetype expected = 0) { m_kept.reserve(expected); }

    // The index of `name`, or `next` (which it is from now on) when it is new.
    int find(const QString &name, int next, bool *isNew)
    {
        *isNew = false;
        // A few addresses come again and again: a small direct-mapped table answers most
        // lookups before the hash is asked.
        Recent &recent = m_recent[(quintptr(name.constData()) >> 4 ^ quintptr(name.constData()) >> 12) % kRecent];
        if (recent.data == name.constData() && recent.data)
            return recent.index;
        if (const auto known = m_byData.constFind(name.constData()); known != m_byData.cend()) {
            recent = {name.constData(), *known};
            return *known;
        }
        m_kept.append(name);
        auto byText = m_byText.constFind(name);
        if (byText == m_byText.cend()) {
            byText = m_byText.insert(name, next);
            *isNew = true;
        }
        m_byData.insert(name.constData(), *byText);
        return *byText;
    }

    // The index of a name seen before, or -1.
    int indexOf(const QString &name) const { return m_byText.value(name, -1); }

private:
    struct Recent
    {
        const QChar *data = nullptr;
        int index = -1;
    };
    static constexpr int kRecent = 64;
    Recent m_recent[kRecent];
    QHash<const QChar *, int> m_byData;
    QHash<QString, int> m_byText;
    QList<QString> m_kept;
};

// How many sessions name each text, counted through a NameIndex.
class NameTally
{
public:
    void add(const QString &name)
    {
        bool isNew = false;
        const int index = m_index.find(name, int(m_counts.size()), &isNew);
        if (isNew)
            m_counts.append(0);
        ++m_counts[index];
    }
    int count(const QString &name) const
    {
        const int index = m_index.indexOf(name);
        return index < 0 ? 0 : m_counts[index];
    }

private:
    NameIndex m_index;
    QList<int> m_counts;
};

} // namespace poolscope
