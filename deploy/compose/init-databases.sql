CREATE DATABASE wuji_province;
CREATE DATABASE wuji_city;
CREATE DATABASE wuji_county;
CREATE DATABASE wuji_township;
