coords = {}
for i in range(1, 45):
    coords[i] = (round(114.93 + 0.0007 * (i % 8), 7), round(27.82 + 0.0006 * (i // 8), 7))
coords[4] = (114.9328, 27.8203)
coords[5] = (114.9321, 27.8206)
coords[22] = (coords[21][0], 27.8218)
coords[23] = (coords[20][0], 27.8218)
nodes_defined = [i for i in coords if i not in (11, 14)]
ways = [
    (100, [1, 2, 3], {"highway": "residential", "oneway": "-1", "name": "胜利南路"}),
    (101, [3, 4, 5, 3], {"highway": "primary", "junction": "roundabout", "name": "抱石广场环岛"}),
    (102, [7, 8], {"highway": "motorway", "ref": "G60"}),
    (103, [8, 9], {"highway": "motorway", "oneway": "no"}),
    (104, [10, 16, 11, 12, 13], {"highway": "tertiary", "name": "北湖路", "name:en": "Beihu Road"}),
    (105, [17, 18, 17], {"highway": "footway", "oneway": "no"}),
    (106, [1, 2], {"highway": "platform"}),
    (107, [19, 31, 32, 19], {"highway": "pedestrian", "area": "yes"}),
    (108, [20, 21, 22, 23, 20], {"building": "residential", "name": "龙凤花园", "building:levels": "6"}),
    (109, [33, 34, 35, 33], {"landuse": "residential"}),
    (110, [13, 24, 25], {"highway": "service", "oneway": "yes", "bridge": "yes", "service": "parking_aisle"}),
    (111, [9, 26, 27, 28], {"highway": "residential", "name": "竹山路", "maxspeed": "30"}),
    (112, [29, 26, 30], {"highway": "residential", "name": "人民北路", "lanes": "2"}),
    (113, [36, 14], {"highway": "residential", "name": "只剩一个节点"}),
]
node_tags = {
    40: {"man_made": "surveillance", "surveillance:type": "camera", "camera:type": "dome",
         "camera:direction": "NE", "operator": "新余市公安局"},
    41: {"man_made": "surveillance", "surveillance:type": "ALPR", "direction": "270"},
    42: {"man_made": "surveillance", "camera:type": "fixed", "camera:direction": "10-50",
         "surveillance": "public"},
    43: {"highway": "speed_camera"},
    44: {"man_made": "surveillance", "camera:type": "panning", "camera:angle": "15"},
}
out = ["<?xml version='1.0' encoding='UTF-8'?>",
       '<osm version="0.6" generator="patrolnet test fixture (hand-made)">']
for i in nodes_defined:
    lon, lat = coords[i]
    tags = node_tags.get(i)
    if tags:
        out.append(f' <node id="{i}" version="1" lat="{lat}" lon="{lon}">')
        out += [f'  <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        out.append(" </node>")
    else:
        out.append(f' <node id="{i}" version="1" lat="{lat}" lon="{lon}"/>')
for wid, refs, tags in ways:
    out.append(f' <way id="{wid}" version="1">')
    out += [f'  <nd ref="{r}"/>' for r in refs]
    out += [f'  <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
    out.append(" </way>")
out.append("</osm>")
open("tags_and_clipping.osm", "w", encoding="utf-8").write("\n".join(out) + "\n")

no_roads = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="patrolnet test fixture">']
for i in range(1, 5):
    lon, lat = coords[i]
    no_roads.append(f' <node id="{i}" version="1" lat="{lat}" lon="{lon}"/>')
no_roads += [' <way id="1" version="1">', *[f'  <nd ref="{r}"/>' for r in (1, 2, 3, 4, 1)],
             '  <tag k="building" v="yes"/>', " </way>",
             ' <way id="2" version="1">', '  <nd ref="1"/>', '  <nd ref="3"/>',
             '  <tag k="highway" v="platform"/>', " </way>", "</osm>"]
open("no_roads.osm", "w", encoding="utf-8").write("\n".join(no_roads) + "\n")
open("not_osm.osm", "w", encoding="utf-8").write(
    "uid,offense_type,date_time,longitude,latitude\n1,robbery,2019-01-01T00:00:00Z,-122.41,37.76\n")
